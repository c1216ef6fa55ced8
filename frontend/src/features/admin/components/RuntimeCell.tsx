import type { ModelCard } from "@/api/types";
import { formatDateTime, formatQuantity } from "@/lib/format";

type Runtime = NonNullable<ModelCard["runtime"]>;

/** The runtime a model serves on, and the per-image time each candidate measured at load
 * (or why it could not run). A loaded model without one runs no network (the classical skin
 * segmenter: its own NumPy and SciPy code); one not loaded has not chosen yet: a dash. */
export function RuntimeCell({ runtime, state }: { runtime: ModelCard["runtime"]; state?: string }) {
  if (!runtime) {
    if (state === "loaded") return <span className="muted">No network: plain Python code (NumPy, SciPy)</span>;
    return (
      <>
        <span aria-hidden="true">–</span>
        <span className="visually-hidden">chosen when it loads</span>
      </>
    );
  }
  return (
    <>
      <strong>{runtime.chosen}</strong>
      {runtime.requested === "auto" && <span className="muted small"> (fastest)</span>}
      <ul className="plain-list small muted">
        {runtime.candidates.map((candidate) => (
          <li key={candidate.name}>{describe(candidate)}</li>
        ))}
      </ul>
      {runtime.measured_at && <p className="small muted">{measuredWhen(runtime)}</p>}
    </>
  );
}

/** Why every worker serves on the same runtime: `auto` measured once on this machine. */
export function measuredWhen(runtime: Runtime): string {
  const when = runtime.measured_at ? formatDateTime(runtime.measured_at) : "";
  return runtime.reused
    ? `Measured once on this machine (${when}); every worker and later start serves on it.`
    : `Measured at this load (${when}); kept for the other workers and later starts.`;
}

export function describe(candidate: Runtime["candidates"][number]): string {
  if (candidate.ms != null) return `${candidate.name}: ${formatQuantity(candidate.ms, "ms", 1)} per image`;
  return `${candidate.name}: not usable (${candidate.error ?? "unknown reason"})`;
}
