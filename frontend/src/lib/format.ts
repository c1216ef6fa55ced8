// Numbers, sizes, durations, dates and counts as the reader's locale writes them: every number
// the app shows goes through `formatNumber` (Intl.NumberFormat), so that "286.3 mL" never
// reads as 286,325 and a German reader sees "286,3 mL".

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(undefined, options);
    numberFormats.set(key, format);
  }
  return format;
}

export interface Digits {
  /** at most this many decimals (default 0) */
  max?: number;
  /** at least this many (default 0: "2.5", "3"); equal to max for a column of figures */
  min?: number;
}

/** A number in the reader's locale: `formatNumber(286.325, 1)` → "286.3", 12345 → "12,345";
 * "–" for a missing or infinite value. */
export function formatNumber(value: number | null | undefined, digits: number | Digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const { max = 0, min = 0 } = typeof digits === "number" ? { max: digits } : digits;
  return numberFormat({ maximumFractionDigits: max, minimumFractionDigits: Math.min(min, max) }).format(value);
}

/** A number with its unit: `formatQuantity(286.325, "mL", 1)` → "286.3 mL". */
export function formatQuantity(value: number | null | undefined, unit: string, digits: number | Digits = 0): string {
  const number = formatNumber(value, digits);
  return number === "–" ? number : `${number} ${unit}`;
}

/** A fraction as a percentage with exactly `digits` decimals: 0.923 → "92.3%" (1 digit). */
export function formatPercent(fraction: number | null | undefined, digits = 0): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "–";
  return numberFormat({ style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }).format(fraction);
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "–";
  if (bytes < 1024) return formatQuantity(bytes, "B");
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return formatQuantity(value, units[unit], value < 10 ? { min: 1, max: 1 } : 0);
}

/** An upload limit: "2 MB", "1.5 MB". */
export function formatMegabytes(bytes: number): string {
  return formatQuantity(bytes / 1024 / 1024, "MB", 1);
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return formatQuantity(ms, "ms");
  const s = ms / 1000;
  if (s < 60) return formatQuantity(s, "s", s < 10 ? { min: 2, max: 2 } : { min: 1, max: 1 });
  const m = Math.floor(s / 60);
  return `${formatQuantity(m, "min")} ${formatQuantity(Math.round(s - m * 60), "s")}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

const pluralRules = new Intl.PluralRules("en");

/** A count with its noun, in the app's language (English): `countOf(1, "woman", "women")` →
 * "1 woman", `countOf(3, "face")` → "3 faces". */
export function countOf(count: number, one: string, other = `${one}s`): string {
  return `${formatNumber(count)} ${pluralRules.select(count) === "one" ? one : other}`;
}

// The tasks of the registries, as a person reads them.
const TASKS: Record<string, string> = {
  "object-detection": "Object detection",
  "face-gender": "Face and gender detection",
  "skin-segmentation": "Skin segmentation (MRI volumes)",
  "image-to-image": "Image to image",
};

/** A model's task as a person reads it. */
export function taskLabel(task: string): string {
  return TASKS[task] ?? task.replace(/[-_]/g, " ");
}

/** The task under a model's title, unless the title already says it ("Object detection
 * (YOLOv8 nano)" needs no "Object detection" under it): null then. */
export function taskSubtitle(task: string, title: string): string | null {
  const label = taskLabel(task);
  const core = label.replace(/\s*\(.*\)\s*$/, "").trim().toLowerCase();
  return core && title.toLowerCase().includes(core) ? null : label;
}
