import type { JobOutcome } from "@/api/predictions";
import "./StatusBadge.css";

const TEXT: Record<string, string> = {
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  "nothing-found": "Nothing to segment",
  failed: "Failed",
  cancelled: "Cancelled",
  loaded: "Ready",
  loading: "Loading",
  unloaded: "Unloaded",
  unavailable: "Unavailable",
  disabled: "Disabled",
};

/** A job's outcome (`jobOutcome`), a model's state or a message's delivery, in words. */
export function StatusBadge({ status }: { status: JobOutcome | string }) {
  return <span className={`badge badge-${status}`}>{TEXT[status] ?? status}</span>;
}
