// The "Add a version" and "Edit the version" forms: labels, preprocessing, multi-label,
// parameter defaults and the card as a person types them, checked, and turned into the
// multipart body of POST .../versions or the JSON of PATCH .../versions/{id}.
// Preprocessing follows backend/modelgallery/vision/preprocess.py (`Preprocessing`: size is
// [width, height]); what is left empty is read from the weights themselves.
import { ApiError } from "@/api/errors";
import type { ModelVersion, RuntimeName, VersionEdit } from "./types";

export type Resize = "" | "stretch" | "letterbox" | "center-crop";
export type Channels = "" | "rgb" | "bgr";

export interface OptionValues {
  /** one label a line */
  labels: string;
  width: string;
  height: string;
  resize: Resize;
  /** numbers separated by commas or spaces */
  mean: string;
  std: string;
  channels: Channels;
  multiLabel: boolean;
}

export const CARD_FIELDS = [
  { key: "source", label: "Source", hint: "Where the weights come from (a web address, a paper)." },
  { key: "license", label: "Licence", hint: "The licence of the weights." },
  { key: "training_data", label: "Training data", hint: "What the weights were trained on." },
  { key: "outputs", label: "Outputs", hint: "What it returns: classes, labels, masks." },
  { key: "accuracy", label: "Accuracy", hint: "Measured accuracy where known, and where it was measured." },
  { key: "intended_use", label: "Intended use", hint: "" },
] as const;

export type CardKey = (typeof CARD_FIELDS)[number]["key"];
export type CardValues = Record<CardKey, string> & { limitations: string };

export interface VersionExtras {
  /** one a line: `name = value` */
  defaults: string;
  note: string;
  card: CardValues;
}

export interface NewVersionValues extends OptionValues, VersionExtras {
  weights: File[];
  /** names of files already in the models folder, separated by commas */
  existing: string;
  example: File | null;
  /** "" for automatic: the fastest that works (or the family's own runtime) */
  runtime: "" | RuntimeName;
}

export type VersionField =
  | "weights"
  | "existing"
  | "example"
  | "runtime"
  | "labels"
  | "size"
  | "mean"
  | "std"
  | "defaults"
  | "note"
  | "card";
export type VersionErrors = Partial<Record<VersionField, string>>;

export const EMPTY_CARD: CardValues = {
  source: "",
  license: "",
  training_data: "",
  outputs: "",
  accuracy: "",
  intended_use: "",
  limitations: "",
};

export const EMPTY_OPTIONS: OptionValues = {
  labels: "",
  width: "",
  height: "",
  resize: "",
  mean: "",
  std: "",
  channels: "",
  multiLabel: false,
};

export const EMPTY_VERSION: NewVersionValues = {
  ...EMPTY_OPTIONS,
  weights: [],
  existing: "",
  example: null,
  runtime: "",
  defaults: "",
  note: "",
  card: EMPTY_CARD,
};

const FILE_NAME = /^[A-Za-z0-9._-]+$/;
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NOTE_MAX = 2000;

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

export function existingNames(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((name) => name.trim())
    .filter(Boolean);
}

/** "0.485, 0.456, 0.406" → [0.485, 0.456, 0.406]; null when empty; NaN inside when not numbers */
export function numbers(text: string): number[] | null {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  return parts.length ? parts.map(Number) : null;
}

// --- checks --------------------------------------------------------------------------------

export function validateOptions(values: OptionValues): VersionErrors {
  const errors: VersionErrors = {};
  const width = values.width.trim();
  const height = values.height.trim();
  if (width || height) {
    const w = Number(width);
    const h = Number(height);
    if (!width || !height) errors.size = "Enter both the width and the height, or neither.";
    else if (![w, h].every((n) => Number.isInteger(n) && n > 0)) errors.size = "Enter the width and the height as whole numbers of pixels above 0.";
  }
  const mean = numbers(values.mean);
  const std = numbers(values.std);
  if (mean?.some((n) => !Number.isFinite(n))) errors.mean = "Enter numbers separated by commas, e.g. 0.485, 0.456, 0.406.";
  if (std?.some((n) => !Number.isFinite(n))) errors.std = "Enter numbers separated by commas, e.g. 0.229, 0.224, 0.225.";
  else if (std?.some((n) => n <= 0)) errors.std = "Each number must be above 0.";
  if (mean && std && !errors.mean && !errors.std && mean.length !== std.length && mean.length > 1 && std.length > 1)
    errors.std = `Give as many numbers as the mean (${mean.length}), or one for every channel.`;
  const labels = lines(values.labels);
  const seen = new Set<string>();
  const twice = labels.find((label) => (seen.has(label) ? true : (seen.add(label), false)));
  if (twice) errors.labels = `"${twice}" appears twice: each line is the name of one class.`;
  return errors;
}

export function parseDefaults(text: string): { defaults: Json; error: string | null } {
  const defaults: Json = {};
  const all = text.split(/\r?\n/);
  for (let i = 0; i < all.length; i += 1) {
    const line = all[i].trim();
    if (!line) continue;
    const at = line.indexOf("=");
    const name = at < 0 ? "" : line.slice(0, at).trim();
    if (at < 0 || !PARAM_NAME.test(name)) {
      return { defaults, error: `Line ${i + 1}: write one setting a line as "name = value", e.g. "top_k = 3".` };
    }
    defaults[name] = valueOf(line.slice(at + 1).trim());
  }
  return { defaults, error: null };
}

/** A default as typed: a number, true/false or a JSON list where it reads as one, else text. */
function valueOf(text: string): unknown {
  if (text === "") return "";
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || Array.isArray(parsed)) return parsed;
  } catch {
    /* plain text */
  }
  return text;
}

function checkExtras(values: VersionExtras): VersionErrors {
  const errors: VersionErrors = {};
  const defaults = parseDefaults(values.defaults);
  if (defaults.error) errors.defaults = defaults.error;
  if ([...values.note.trim()].length > NOTE_MAX) errors.note = `Keep the note to ${NOTE_MAX} characters at most.`;
  return errors;
}

export function validateNewVersion(values: NewVersionValues): VersionErrors {
  const errors: VersionErrors = { ...validateOptions(values), ...checkExtras(values) };
  const existing = existingNames(values.existing);
  const bad = existing.find((name) => !FILE_NAME.test(name));
  if (bad) errors.existing = `"${bad}" is not a plain file name (letters, digits, '.', '-' and '_').`;
  if (values.weights.length === 0 && existing.length === 0)
    errors.weights = "Choose the weights file (both files of an OpenVINO model), or name files already in the models folder.";
  return errors;
}

export function validateEditVersion(values: OptionValues & VersionExtras): VersionErrors {
  return { ...validateOptions(values), ...checkExtras(values) };
}

// --- what is sent --------------------------------------------------------------------------

/** A version's options with the form's labels, preprocessing and multi-label applied; every
 * other option (and preprocessing field) of `base` is kept. */
export function applyOptions(values: OptionValues, base: Json = {}): Json {
  const options: Json = { ...base };
  const labels = lines(values.labels);
  if (labels.length) options.labels = labels;
  else if (Array.isArray(options.labels)) delete options.labels; // cleared (a labels file stays)
  if (values.multiLabel) options.multi_label = true;
  else delete options.multi_label;

  const preprocess: Json = isRecord(options.preprocess) ? { ...options.preprocess } : {};
  const set = (key: string, value: unknown) => {
    if (value === null || value === "") delete preprocess[key];
    else preprocess[key] = value;
  };
  const width = values.width.trim();
  const height = values.height.trim();
  set("size", width && height ? [Number(width), Number(height)] : null);
  set("resize", values.resize);
  set("mean", numbers(values.mean));
  set("std", numbers(values.std));
  set("channels", values.channels);
  if (Object.keys(preprocess).length) options.preprocess = preprocess;
  else delete options.preprocess;
  return options;
}

/** The version's parameter overrides with the form's defaults: min, max and choices stay. */
export function applyDefaults(text: string, base: ModelVersion["params"] = {}): ModelVersion["params"] {
  const { defaults } = parseDefaults(text);
  const params: ModelVersion["params"] = {};
  for (const [name, override] of Object.entries(base)) {
    const rest = Object.fromEntries(Object.entries(override).filter(([key]) => key !== "default"));
    if (Object.keys(rest).length) params[name] = rest;
  }
  for (const [name, value] of Object.entries(defaults)) params[name] = { ...params[name], default: value };
  return params;
}

/** The card as the API keeps it; null when nothing is said. */
export function cardOf(values: CardValues, base: Json | null = null): Json | null {
  const card: Json = { ...(base ?? {}) };
  for (const { key } of CARD_FIELDS) {
    const value = values[key].trim();
    if (value) card[key] = value;
    else delete card[key];
  }
  const limitations = lines(values.limitations);
  if (limitations.length) card.limitations = limitations;
  else delete card.limitations;
  return Object.keys(card).length ? card : null;
}

/** The multipart body of POST /api/admin/catalog/{name}/versions. */
export function buildVersionForm(values: NewVersionValues): FormData {
  const form = new FormData();
  for (const file of values.weights) form.append("weights", file, file.name);
  if (values.example) form.append("example", values.example, values.example.name);
  const existing = existingNames(values.existing);
  if (existing.length) form.append("existing", existing.join(","));
  if (values.runtime) form.append("runtime", values.runtime);
  const options = applyOptions(values);
  if (Object.keys(options).length) form.append("options", JSON.stringify(options));
  const params = applyDefaults(values.defaults);
  if (Object.keys(params).length) form.append("params", JSON.stringify(params));
  const card = cardOf(values.card);
  if (card) form.append("card", JSON.stringify(card));
  if (values.note.trim()) form.append("note", values.note.trim());
  return form;
}

// --- editing a version ---------------------------------------------------------------------

function joined(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : "";
}

export function optionValuesOf(options: Json): OptionValues {
  const pre = isRecord(options.preprocess) ? options.preprocess : {};
  const size = Array.isArray(pre.size) && pre.size.length === 2 ? pre.size.map(String) : ["", ""];
  return {
    labels: Array.isArray(options.labels) ? options.labels.map(String).join("\n") : "",
    width: size[0],
    height: size[1],
    resize: typeof pre.resize === "string" ? (pre.resize as Resize) : "",
    mean: joined(pre.mean),
    std: joined(pre.std),
    channels: typeof pre.channels === "string" ? (pre.channels as Channels) : "",
    multiLabel: options.multi_label === true,
  };
}

export function defaultsTextOf(params: ModelVersion["params"]): string {
  return Object.entries(params)
    .filter(([, override]) => "default" in override)
    .map(([name, override]) => `${name} = ${typeof override.default === "string" ? override.default : JSON.stringify(override.default)}`)
    .join("\n");
}

export function cardValuesOf(card: Json | null): CardValues {
  const values: CardValues = { ...EMPTY_CARD };
  for (const { key } of CARD_FIELDS) values[key] = typeof card?.[key] === "string" ? (card[key] as string) : "";
  values.limitations = Array.isArray(card?.limitations) ? card.limitations.map(String).join("\n") : "";
  return values;
}

export function editVersionValuesOf(version: ModelVersion): OptionValues & VersionExtras {
  return {
    ...optionValuesOf(version.options),
    defaults: defaultsTextOf(version.params),
    note: version.note,
    card: cardValuesOf(version.card),
  };
}

/** JSON with every object's keys sorted, so that key order does not count as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** PATCH .../versions/{id}: only what changed. */
export function versionChanges(version: ModelVersion, values: OptionValues & VersionExtras): VersionEdit {
  const changes: VersionEdit = {};
  const options = applyOptions(values, version.options);
  if (!same(options, version.options)) changes.options = options;
  const params = applyDefaults(values.defaults, version.params);
  if (!same(params, version.params)) changes.params = params;
  const card = cardOf(values.card, version.card);
  if (!same(card, version.card)) changes.card = card;
  if (values.note.trim() !== version.note) changes.note = values.note.trim();
  return changes;
}

/** The form field a server's refusal is about, from its sentence, where it can be told. */
export function fieldOfServerError(detail: string): VersionField | null {
  const text = detail.toLowerCase();
  if (text.includes("options.preprocess")) {
    if (text.includes("'mean")) return "mean";
    if (text.includes("'std")) return "std";
    return "size";
  }
  if (text.includes("options.labels") || text.includes("labels")) return "labels";
  if (text.includes("'runtime'") || text.includes("runtime")) return "runtime";
  if (text.includes("the example")) return "example";
  if (text.includes("models folder") || text.includes("'existing'")) return "existing";
  if (text.includes("weights")) return "weights";
  if (text.includes("'params'") || text.includes("parameter")) return "defaults";
  if (text.includes("'card'")) return "card";
  return null;
}

/** The form's problems with the server's refusal (a 4xx about one field) added at that field. */
export function withServerError(errors: VersionErrors, error: unknown): VersionErrors {
  if (!(error instanceof ApiError) || error.status < 400 || error.status >= 500) return errors;
  const field = fieldOfServerError(error.detail);
  return field && !errors[field] ? { ...errors, [field]: error.detail } : errors;
}
