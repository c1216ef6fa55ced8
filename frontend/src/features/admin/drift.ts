// A model version's drift (GET /api/admin/models/{name}/drift): the types, the warning in
// words, each statistic's values in its unit, and the geometry of its small chart.
import type { components } from "@/api/schema";
import { formatBytes, formatDateTime, formatDuration, formatNumber, formatPercent, formatQuantity } from "@/lib/format";

type Schemas = components["schemas"];

export type DriftReport = Schemas["DriftOut"];
export type DriftStatistic = Schemas["DriftStatistic"];
export type DriftWindow = Schemas["DriftWindow"];
export type DriftPoint = Schemas["DriftPoint"];

/** "Inputs have changed: brightness PSI 0.31 > 0.2 since 1 Mar 2025, 10:00" */
export function driftWarning(stat: Pick<DriftStatistic, "side" | "label" | "score" | "threshold">, since: string | null): string {
  const side = stat.side === "input" ? "Inputs" : "Outputs";
  const text = `${side} have changed: ${stat.label.toLowerCase()} PSI ${formatNumber(stat.score, { min: 2, max: 2 })} > ${stat.threshold}`;
  return since ? `${text} since ${formatDateTime(since)}` : text;
}

/** What the verdict says, in a word or three (shown beside the colour, never instead of it). */
export function verdictText(stat: Pick<DriftStatistic, "verdict">): string {
  switch (stat.verdict) {
    case "drift":
      return "Drift";
    case "ok":
      return "No drift";
    case "not_enough_data":
      return "Not enough data";
  }
}

/** A value of the statistic as a person reads it: bytes, seconds, percentages, mL. */
export function formatValue(stat: Pick<DriftStatistic, "name" | "unit">, value: number | null | undefined): string {
  if (stat.name === "class_mix" || stat.unit === "0-1") return formatPercent(value, 0);
  if (stat.unit === "bytes") return formatBytes(value);
  if (stat.unit === "s") return formatDuration(value === null || value === undefined ? value : value * 1000);
  if (stat.unit === "mL") return formatQuantity(value, "mL", 1);
  return formatNumber(value, Math.abs(value ?? 0) < 10 ? 2 : 0);
}

/** The chart's ranges: time from the reference window (or the first point) to the recent
 * window's end (or the last point); values over every point and the reference mean, with
 * headroom. Times in ms since 1970. */
export interface ChartFrame {
  start: number;
  end: number;
  low: number;
  high: number;
}

export function chartFrame(stat: Pick<DriftStatistic, "series" | "reference">, reference: DriftWindow, recent: DriftWindow): ChartFrame {
  const times = stat.series.map((p) => Date.parse(p.start));
  for (const at of [reference.start, reference.end, recent.end]) if (at) times.push(Date.parse(at));
  const values = stat.series.map((p) => p.mean);
  if (stat.reference.mean !== null) values.push(stat.reference.mean);
  const start = times.length ? Math.min(...times) : 0;
  const end = times.length ? Math.max(...times) : 1;
  let low = values.length ? Math.min(...values) : 0;
  let high = values.length ? Math.max(...values) : 1;
  const room = (high - low) * 0.08 || Math.abs(high) * 0.1 || 1;
  low -= room;
  high += room;
  if (low < 0 && Math.min(...values, 0) >= 0) low = 0; // counts and sizes never go below 0
  return { start, end: end > start ? end : start + 1, low, high };
}

/** Where a time and a value fall in a box `width` x `height` (y grows downwards). */
export function place(frame: ChartFrame, width: number, height: number) {
  return {
    x: (time: number) => ((time - frame.start) / (frame.end - frame.start)) * width,
    y: (value: number) => height - ((value - frame.low) / (frame.high - frame.low)) * height,
  };
}

/** The SVG path through the points, in time order: "M x y L x y …" ("" without points). */
export function linePath(points: DriftPoint[], frame: ChartFrame, width: number, height: number): string {
  const { x, y } = place(frame, width, height);
  return points
    .map((p, i) => `${i ? "L" : "M"}${x(Date.parse(p.start)).toFixed(1)} ${y(p.mean).toFixed(1)}`)
    .join(" ");
}
