// Agreement answers as the API sends them (computed fields included), for tests.
import type { AgreementSummary, BoxCounts, LabelAgreement } from "@/api/types";

export function boxes(tp: number, fp: number, fn: number): BoxCounts {
  const empty = tp + fp + fn === 0;
  return {
    tp,
    fp,
    fn,
    precision: empty ? 1 : tp + fp ? tp / (tp + fp) : null,
    recall: empty ? 1 : tp + fn ? tp / (tp + fn) : null,
    f1: empty ? 1 : (2 * tp) / (2 * tp + fp + fn),
  };
}

export function labels(confusion: Record<string, Record<string, number>>): LabelAgreement {
  let compared = 0;
  let agreed = 0;
  for (const [baseline, row] of Object.entries(confusion)) {
    for (const [candidate, n] of Object.entries(row)) {
      compared += n;
      if (baseline === candidate) agreed += n;
    }
  }
  return { compared, agreed, confusion, rate: compared ? agreed / compared : null };
}

export function summary(overrides: Partial<AgreementSummary>): AgreementSummary {
  return { kind: null, pairs: 0, uncompared: 0, disagreement_sum: 0, per_class: {}, mean_disagreement: null, ...overrides };
}

/** Four detection pairs: 6 boxes matched, 2 only in the candidate, 2 only in the baseline. */
export const DETECTIONS = summary({
  kind: "detections",
  pairs: 4,
  disagreement_sum: 1,
  mean_disagreement: 0.25,
  boxes: boxes(6, 2, 2),
  per_class: { person: boxes(5, 0, 0), car: boxes(1, 2, 2) },
});

export const CLASSIFICATION = summary({
  kind: "classification",
  pairs: 10,
  disagreement_sum: 2,
  mean_disagreement: 0.2,
  top1: labels({ cat: { cat: 5, dog: 1 }, dog: { dog: 3, cat: 1 } }),
});

export const FACES = summary({
  kind: "faces",
  pairs: 3,
  disagreement_sum: 0.6,
  mean_disagreement: 0.2,
  boxes: boxes(4, 1, 0),
  genders: labels({ woman: { woman: 2 }, man: { man: 1, woman: 1 } }),
});

export const MASKS = summary({
  kind: "volume-mask",
  pairs: 2,
  disagreement_sum: 0.1,
  mean_disagreement: 0.05,
  masks: {
    pairs: 2,
    dice_sum: 1.9,
    overlap: { intersection: 900, baseline: 1000, candidate: 900, dice: 1800 / 1900 },
    per_class: {},
    abs_difference_sum: 200,
    relative_pairs: 2,
    abs_relative_sum: 0.2,
    ml_pairs: 2,
    abs_difference_ml_sum: 3,
    mean_dice: 0.95,
    mean_abs_difference: 100,
    mean_abs_relative_difference: 0.1,
    mean_abs_difference_ml: 1.5,
  },
});
