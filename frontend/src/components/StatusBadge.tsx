import type { JobStatus } from "@/api/types";
import "./StatusBadge.css";

const TEXT: Record<string, string> = {
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
  loaded: "Ready",
  loading: "Loading",
  unloaded: "Unloaded",
  unavailable: "Unavailable",
  disabled: "Disabled",
};

export function StatusBadge({ status }: { status: JobStatus | string }) {
  return <span className={`badge badge-${status}`}>{TEXT[status] ?? status}</span>;
}
