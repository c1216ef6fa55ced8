// What a version's record says, in words: its state, the runtime chosen and why, what the
// validation measured and what the example's prediction found. The validation record is an
// open object in the API (`VersionOut.validation`), so every field is checked before use.
import { countOf, formatPercent, formatQuantity } from "@/lib/format";
import type { ManagedModel, ModelVersion, VersionState } from "./types";

export const STATE_TEXT: Record<VersionState, string> = {
  validating: "Being checked",
  ready: "Ready",
  failed: "Failed",
  live: "Live",
  retired: "Retired",
};

/** How often the list is read again while a version is being checked. */
export const POLL_MS = 2_000;

export function isValidating(models: ManagedModel[] | undefined): boolean {
  return Boolean(models?.some((model) => model.versions.some((version) => version.state === "validating")));
}

/** The catalog's refetch interval: every POLL_MS while a version is being checked, else none. */
export function pollInterval(models: ManagedModel[] | undefined): number | false {
  return isValidating(models) ? POLL_MS : false;
}

export function liveVersion(model: ManagedModel): ModelVersion | undefined {
  return model.live_version ? model.versions.find((version) => version.id === model.live_version) : undefined;
}

/** The first 12 characters of a sha256, enough to tell two files apart at a glance. */
export function shortSha(sha256: string | null | undefined): string {
  return sha256 ? sha256.slice(0, 12) : "not recorded";
}

/** Families in use plus the generic ones, sorted; groups in use, sorted. */
export function familiesOf(models: ManagedModel[], generic: readonly string[]): string[] {
  return [...new Set([...generic, ...models.map((model) => model.family)])].sort();
}

export function groupsOf(models: ManagedModel[]): string[] {
  return [...new Set(models.map((model) => model.group))].sort();
}

export function tasksOf(models: ManagedModel[], extra: readonly string[]): string[] {
  return [...new Set([...extra, ...models.map((model) => model.task)])].sort();
}

// --- the validation record ---------------------------------------------------------------

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value ? value : null;
}

export interface Candidate {
  name: string;
  ms: number | null;
  error: string | null;
}

export interface RuntimeFacts {
  requested: string;
  chosen: string;
  candidates: Candidate[];
}

export interface ValidationFacts {
  runtime: RuntimeFacts | null;
  loadMs: number | null;
  warmupMs: number | null;
  latencyMs: number | null;
  example: Json | null;
  classes: string[] | null;
}

export function validationFacts(validation: ModelVersion["validation"]): ValidationFacts | null {
  if (!isRecord(validation)) return null;
  const runtime = isRecord(validation.runtime) ? validation.runtime : null;
  return {
    runtime:
      runtime && text(runtime.chosen)
        ? {
            requested: text(runtime.requested) ?? "auto",
            chosen: String(runtime.chosen),
            candidates: (Array.isArray(runtime.candidates) ? runtime.candidates : []).filter(isRecord).map((c) => ({
              name: String(c.name ?? "?"),
              ms: num(c.ms),
              error: text(c.error),
            })),
          }
        : null,
    loadMs: num(validation.load_ms),
    warmupMs: num(validation.warmup_ms),
    latencyMs: num(validation.latency_ms),
    example: isRecord(validation.example) ? validation.example : null,
    classes: Array.isArray(validation.classes) ? validation.classes.map(String) : null,
  };
}

/** Why that runtime: "chosen as the fastest of those that work", "asked for", or its own. */
export function runtimeReason(runtime: RuntimeFacts | null): string {
  if (!runtime) return "The model runs on its family's own runtime.";
  if (runtime.requested !== "auto") return `${runtime.chosen}, as the version asks.`;
  const usable = runtime.candidates.filter((c) => c.ms !== null);
  if (usable.length <= 1) return `${runtime.chosen}, the only runtime that works with these weights.`;
  return `${runtime.chosen}, the fastest of ${usable.length} that work.`;
}

export function candidateText(candidate: Candidate): string {
  if (candidate.ms !== null) return `${candidate.name}: ${formatQuantity(candidate.ms, "ms", 1)} per image`;
  return `${candidate.name}: does not work (${candidate.error ?? "no reason given"})`;
}

function percent(value: unknown): string {
  const n = num(value);
  return n === null ? "" : ` (${formatPercent(n)})`;
}

/** What the example's prediction found, in one sentence. */
export function exampleText(example: Json | null): string | null {
  if (!example) return null;
  const file = text(example.file);
  const on = file ? ` in ${file}` : "";
  // a classifier: the top label (or several, for a multi-label one)
  if (Array.isArray(example.labels) && example.multi_label === true) {
    const labels = example.labels.map((l) => (isRecord(l) ? String(l.label ?? "") : String(l))).filter(Boolean);
    return labels.length ? `Labels${on}: ${labels.join(", ")}.` : `No label passed the threshold${on}.`;
  }
  if (typeof example.category === "string") {
    if (example.uncertain === true || example.category === "uncertain") {
      const best = Array.isArray(example.prediction) && isRecord(example.prediction[0]) ? example.prediction[0] : null;
      return best ? `Not sure${on}; best guess ${String(best.label)}${percent(best.probability)}.` : `Not sure${on}.`;
    }
    return `Top label${on}: ${example.category}${percent(example.probability)}.`;
  }
  // a detector: how many of each class
  if (isRecord(example.counts)) {
    const counts = Object.entries(example.counts).filter(([, n]) => typeof n === "number" && n > 0);
    if (counts.length === 0) return `Nothing found${on}.`;
    return `Found${on}: ${counts.map(([name, n]) => `${n} ${name}`).join(", ")}.`;
  }
  // a segmenter: the classes and how much of the image each covers
  if (num(example.classes_found) !== null) {
    const items = (Array.isArray(example.items) ? example.items : []).filter(isRecord);
    if (items.length === 0) return `Only background${on}.`;
    const parts = items.map((item) => `${String(item.label)}${percent(item.fraction)}`);
    return `Classes${on}: ${parts.join(", ")}.`;
  }
  const count = num(example.count);
  if (count !== null) return `${countOf(count, "result")}${on}.`;
  return `The example ran${on}.`;
}

/** The first few of a model's classes: "person, bicycle, car and 77 more". */
export function classesText(classes: string[] | null, shown = 5): string | null {
  if (!classes || classes.length === 0) return null;
  const head = classes.slice(0, shown).join(", ");
  const rest = classes.length - shown;
  return rest > 0 ? `${classes.length} classes: ${head} and ${rest} more` : `${countOf(classes.length, "class", "classes")}: ${head}`;
}
