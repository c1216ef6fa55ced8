import { formatNumber, formatPercent } from "@/lib/format";
import { BoxFigures, Figure, PerClassTable } from "./BoxFigures";
import { LabelFigures } from "./ConfusionTable";
import { MaskFigures } from "./MaskFigures";
import { asSummary, isSummary, maskPair, type Compared } from "./summary";
import type { PairLabels } from "./types";
import "./agreement.css";

interface Props {
  /** one pair's agreement (a user's two results) or a summary of many (a release) */
  of: Compared;
  labels: PairLabels;
}

/** How two sides agree, by what their results hold: boxes (detections, faces), labels
 * (classification, genders), masks. */
export function AgreementFigures({ of, labels }: Props) {
  const summary = asSummary(of);
  const many = isSummary(of) || of.kind === "batch";
  const mask = maskPair(of);
  const faces = summary.kind === "faces";
  return (
    <div className="agreement">
      <dl className="summary-list" aria-label="Overall">
        {many && <Figure label="Pairs compared" value={formatNumber(summary.pairs)} />}
        <Figure label={many ? "Mean disagreement" : "Disagreement"} value={formatPercent(summary.mean_disagreement, 1)} />
        {summary.uncompared > 0 && <Figure label="Files on one side only" value={formatNumber(summary.uncompared)} />}
      </dl>
      {summary.boxes && <BoxFigures boxes={summary.boxes} labels={labels} noun={faces ? "Faces" : "Boxes"} />}
      {summary.per_class && <PerClassTable perClass={summary.per_class} labels={labels} />}
      {summary.genders && <LabelFigures agreement={summary.genders} labels={labels} what="Gender" />}
      {summary.top1 && <LabelFigures agreement={summary.top1} labels={labels} what="Top-1 label" />}
      {summary.masks && (
        <MaskFigures
          totals={summary.masks}
          labels={labels}
          single={mask && { difference: mask.difference, relative: mask.relative_difference, ml: mask.difference_ml ?? null }}
        />
      )}
    </div>
  );
}
