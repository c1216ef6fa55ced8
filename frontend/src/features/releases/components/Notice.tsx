import { useCallback, useEffect, useRef, useState } from "react";

/** A message after an action, which takes the focus (the button pressed may be gone). */
export function useNotice() {
  const [notice, setNotice] = useState<{ text: string; n: number } | null>(null);
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) ref.current?.focus();
  }, [notice]);
  const say = useCallback((text: string) => setNotice((current) => ({ text, n: (current?.n ?? 0) + 1 })), []);
  const element = notice ? (
    <p ref={ref} role="status" className="alert alert-success" tabIndex={-1}>
      {notice.text}
    </p>
  ) : null;
  return { say, clear: () => setNotice(null), element };
}

const BADGE_CLASS: Record<string, string> = {
  active: "running",
  running: "running",
  promoted: "succeeded",
  done: "succeeded",
  rolled_back: "cancelled",
  cancelled: "cancelled",
};

/** A release's or a replay's state, in words, with the colours of the job badges. */
export function StateBadge({ state, text }: { state: string; text: string }) {
  return <span className={`badge badge-${BADGE_CLASS[state] ?? "queued"}`}>{text}</span>;
}
