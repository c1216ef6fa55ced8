import { useId } from "react";
import type { MaskOverlap, MaskTotals } from "@/api/types";
import { formatNumber, formatPercent, formatQuantity } from "@/lib/format";
import { ScrollTable } from "@/components/ScrollTable";
import { Figure } from "./BoxFigures";
import type { PairLabels } from "./types";

const dice = (value: number | null | undefined) => formatNumber(value, { min: 3, max: 3 });

/** "+1,234" and "−56": which side is larger matters for one pair. */
function signed(value: number | null | undefined, text: string): string {
  return value != null && value > 0 ? `+${text}` : text;
}

interface Props {
  totals: MaskTotals;
  labels: PairLabels;
  /** one pair: its size difference with its sign (candidate − baseline) */
  single?: { difference: number; relative: number | null; ml: number | null } | null;
}

/** Dice and the difference in size of the masks (voxels, or pixels for an image). */
export function MaskFigures({ totals, labels, single }: Props) {
  const overlap = totals.overlap;
  return (
    <>
      {single ? (
        <dl className="summary-list" aria-label="Masks compared">
          <Figure label="Dice" value={dice(totals.mean_dice)} />
          <Figure label="Size difference" value={signed(single.difference, formatQuantity(single.difference, "voxels"))} />
          {single.relative !== null && <Figure label="Relative difference" value={signed(single.relative, formatPercent(single.relative, 1))} />}
          {single.ml !== null && <Figure label="Volume difference" value={signed(single.ml, formatQuantity(single.ml, "mL", 1))} />}
        </dl>
      ) : (
        <dl className="summary-list" aria-label="Masks compared">
          <Figure label="Mean Dice" value={dice(totals.mean_dice)} />
          {overlap && <Figure label="Dice over all voxels" value={dice(overlap.dice)} />}
          <Figure label="Mean size difference" value={formatQuantity(totals.mean_abs_difference, "voxels")} />
          {totals.mean_abs_relative_difference != null && (
            <Figure label="Mean relative difference" value={formatPercent(totals.mean_abs_relative_difference, 1)} />
          )}
          {totals.mean_abs_difference_ml != null && (
            <Figure label="Mean volume difference" value={formatQuantity(totals.mean_abs_difference_ml, "mL", 1)} />
          )}
        </dl>
      )}
      <p className="hint">
        Dice is 1 when the masks are the same and 0 when they do not overlap. {single ? "The difference is" : "Differences are"}{" "}
        {labels.candidate}&rsquo;s mask against {labels.baseline}&rsquo;s{single ? "" : ", larger or smaller alike"}.
      </p>
      <MaskClassTable perClass={totals.per_class ?? {}} labels={labels} />
    </>
  );
}

function MaskClassTable({ perClass, labels }: { perClass: Record<string, MaskOverlap>; labels: PairLabels }) {
  const captionId = useId();
  const rows = Object.entries(perClass).sort(([a], [b]) => a.localeCompare(b));
  if (rows.length === 0) return null;
  return (
    <ScrollTable captionId={captionId}>
      <table className="table">
        <caption id={captionId}>Per class</caption>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col" className="num">Dice</th>
            <th scope="col" className="num">{labels.baseline}</th>
            <th scope="col" className="num">{labels.candidate}</th>
            <th scope="col" className="num">Both</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, counts]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td className="num">{dice(counts.dice)}</td>
              <td className="num">{formatNumber(counts.baseline)}</td>
              <td className="num">{formatNumber(counts.candidate)}</td>
              <td className="num">{formatNumber(counts.intersection)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}
