import type { ModelCard } from "@/api/types";

type Runtime = NonNullable<ModelCard["runtime"]>;

/** The runtime a model serves on, and the per-image time each candidate measured at load
 * (or why it could not run). */
export function RuntimeCell({ runtime }: { runtime: ModelCard["runtime"] }) {
  if (!runtime) return <span className="muted">its own</span>;
  return (
    <>
      <strong>{runtime.chosen}</strong>
      {runtime.requested === "auto" && <span className="muted small"> (fastest)</span>}
      <ul className="plain-list small muted">
        {runtime.candidates.map((candidate) => (
          <li key={candidate.name}>{describe(candidate)}</li>
        ))}
      </ul>
    </>
  );
}

export function describe(candidate: Runtime["candidates"][number]): string {
  if (candidate.ms != null) return `${candidate.name}: ${candidate.ms.toFixed(1)} ms per image`;
  return `${candidate.name}: not usable (${candidate.error ?? "unknown reason"})`;
}
