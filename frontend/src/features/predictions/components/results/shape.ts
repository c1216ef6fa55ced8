// Reading untyped result JSON without trusting it.
import type { Size } from "./boxes";

export type Dict = Record<string, unknown>;

export function record(value: unknown): Dict {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Dict) : {};
}

export function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

export function imageSpace(result: Dict): Size | null {
  const width = num(result.width);
  const height = num(result.height);
  return width && height && width > 0 && height > 0 ? { width, height } : null;
}

/** {label: number} maps, e.g. counts per class. */
export function countMap(value: unknown): [string, number][] {
  return Object.entries(record(value)).filter((entry): entry is [string, number] => typeof entry[1] === "number");
}
