// What the Feedback tab shows of a flag, and which dataset formats fit a model's results.
import type { FlagListItem, ModelCard } from "@/api/types";

export type ExportFormat = "yolo" | "coco" | "folders" | "volumes";

export const FORMATS: { format: ExportFormat; label: string; kinds: string[] }[] = [
  { format: "yolo", label: "YOLO (detections)", kinds: ["detections"] },
  { format: "coco", label: "COCO (detections, faces)", kinds: ["detections", "faces"] },
  { format: "folders", label: "Class folders (classifications)", kinds: ["classification"] },
  { format: "volumes", label: "NIfTI volumes with masks", kinds: ["volume-mask"] },
];

/** The formats a model's results export in, by the result kinds it declares. */
export function formatsFor(model: Pick<ModelCard, "result_kinds"> | undefined): ExportFormat[] {
  if (!model) return [];
  const kinds = new Set(Object.values(model.result_kinds));
  return FORMATS.filter((f) => f.kinds.some((k) => kinds.has(k as never))).map((f) => f.format);
}

/** A flag's correction in words: "Right class: dog", "2 boxes marked wrong; 1 given: person". */
export function describeCorrection(flag: Pick<FlagListItem, "correction" | "item_kind">): string {
  const correction = flag.correction;
  if (!correction) return "No correction given";
  if (correction.label) return `Right class: ${correction.label}`;
  const noun = flag.item_kind === "faces" ? "face" : "box";
  const parts: string[] = [];
  const wrong = correction.wrong?.length ?? 0;
  const boxes = correction.boxes ?? [];
  if (wrong) parts.push(`${wrong} ${noun}${wrong === 1 ? "" : noun === "box" ? "es" : "s"} marked wrong`);
  if (boxes.length) parts.push(`${boxes.length} given: ${boxes.map((b) => b.label).join(", ")}`);
  return parts.join("; ") || "No correction given";
}

/** What a flag is about: the kind of result and, in a batch, which file. */
export function describeTarget(flag: Pick<FlagListItem, "item_kind" | "file" | "result_kind">): string {
  const kind = flag.item_kind.replace("-", " ");
  if (flag.result_kind !== "batch") return kind;
  return flag.file == null ? `${kind}, every file of a batch` : `${kind}, file ${flag.file + 1} of a batch`;
}
