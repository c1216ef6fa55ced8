import { useEffect } from "react";

/** Sets the document's title (read first by screen readers after a route change). */
export function usePageTitle(title: string | null | undefined) {
  useEffect(() => {
    document.title = title ? `${title} · Model Gallery` : "Model Gallery";
  }, [title]);
}
