// A table that may be wider than the screen (a phone): a region named by the table's caption,
// focusable while it overflows so that the arrow keys scroll it, with shadows at an edge that
// has more beyond it and a visible hint while it does not fit.
import { useEffect, useRef, useState, type ReactNode, type RefObject } from "react";
import "./ScrollTable.css";

interface Props {
  /** the id of the table's <caption>: it names the region */
  captionId: string;
  children: ReactNode;
}

export function ScrollTable({ captionId, children }: Props) {
  const region = useRef<HTMLDivElement>(null);
  const overflows = useOverflows(region);
  return (
    <>
      {overflows && (
        <p className="scroll-hint muted small" aria-hidden="true">
          <span className="scroll-hint-arrows">⇆</span> Scroll the table sideways to see all of it.
        </p>
      )}
      <div ref={region} className="table-wrap scroll-region" role="region" aria-labelledby={captionId} tabIndex={overflows ? 0 : undefined}>
        {children}
      </div>
    </>
  );
}

/** Whether the element is wider inside than it shows (it scrolls sideways), kept up to date
 * as its size changes. */
function useOverflows(ref: RefObject<HTMLElement | null>): boolean {
  const [overflows, setOverflows] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const check = () => setOverflows(element.scrollWidth > element.clientWidth + 1);
    check();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(check);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  }, [ref]);
  return overflows;
}
