// Where a result came from, as the worker recorded it in `result.provenance`: the model's
// version, its weights' digest, the runtime and the release.

export interface Provenance {
  model?: string;
  version?: number | null;
  weights?: { file: string; sha256?: string | null }[];
  runtime?: string | null;
  release?: string;
}

export function provenanceOf(result: Record<string, unknown> | null | undefined): Provenance | null {
  const value = result?.provenance;
  return value && typeof value === "object" ? (value as Provenance) : null;
}

export function describeProvenance(p: Provenance): string {
  const parts: string[] = [];
  if (p.runtime) parts.push(`runtime ${p.runtime}`);
  for (const w of p.weights ?? []) {
    parts.push(w.sha256 ? `${w.file} (sha256 ${w.sha256.slice(0, 12)}…)` : w.file);
  }
  if (p.release) parts.push(`Model Gallery ${p.release}`);
  return parts.join(", ") || "not recorded";
}
