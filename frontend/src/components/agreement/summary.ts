// One pair's agreement read as a summary of one pair, so that one set of figures shows both a
// user's two results and a release's many pairs.
import type { Agreement, AgreementSummary, MaskTotals } from "@/api/types";

export type Compared = Agreement | AgreementSummary;

type MaskPair = Extract<Agreement, { kind: "segmentation" | "volume-mask" }>;

export function isSummary(value: Compared): value is AgreementSummary {
  return "pairs" in value;
}

/** One mask pair, when `value` is one: its signed differences are shown as they are. */
export function maskPair(value: Compared): MaskPair | null {
  return !isSummary(value) && (value.kind === "segmentation" || value.kind === "volume-mask") ? value : null;
}

function maskTotals(mask: MaskPair): MaskTotals {
  const size = Math.abs(mask.difference);
  const relative = mask.relative_difference;
  const ml = mask.difference_ml;
  return {
    pairs: 1,
    dice_sum: mask.dice,
    overlap: mask.overlap,
    per_class: mask.per_class,
    abs_difference_sum: size,
    relative_pairs: relative === null ? 0 : 1,
    abs_relative_sum: relative === null ? 0 : Math.abs(relative),
    ml_pairs: ml == null ? 0 : 1,
    abs_difference_ml_sum: ml == null ? 0 : Math.abs(ml),
    mean_dice: mask.dice,
    mean_abs_difference: size,
    mean_abs_relative_difference: relative === null ? null : Math.abs(relative),
    mean_abs_difference_ml: ml == null ? null : Math.abs(ml),
  };
}

/** The summary of `value`: itself, a batch's own summary, or one pair counted as a summary. */
export function asSummary(value: Compared): AgreementSummary {
  if (isSummary(value)) return value;
  if (value.kind === "batch") return value.summary;
  const base = { pairs: 1, uncompared: 0, disagreement_sum: value.disagreement, mean_disagreement: value.disagreement, per_class: {} };
  switch (value.kind) {
    case "detections":
    case "video-detections":
      return { ...base, kind: value.kind, boxes: value.boxes, per_class: value.per_class };
    case "faces":
      return { ...base, kind: value.kind, boxes: value.boxes, genders: value.genders };
    case "classification":
      return { ...base, kind: value.kind, top1: value.top1 };
    default:
      return { ...base, kind: value.kind, masks: maskTotals(value) };
  }
}

const KIND_NAMES: Record<string, string> = {
  detections: "Detections",
  "video-detections": "Detections in videos",
  faces: "Faces",
  classification: "Classification",
  segmentation: "Segmentation masks",
  "volume-mask": "Volume masks",
};

/** A result kind as a heading names it. */
export function kindName(kind: string | null | undefined): string {
  return (kind && KIND_NAMES[kind]) ?? (kind ? kind.replace(/[-_]/g, " ") : "Results");
}
