import { useId } from "react";
import type { BoxCounts } from "@/api/types";
import { formatNumber, formatPercent } from "@/lib/format";
import { ScrollTable } from "@/components/ScrollTable";
import type { PairLabels } from "./types";

/** Precision, recall and F1 of the candidate's boxes against the baseline's, with the counts
 * they come from. */
export function BoxFigures({ boxes, labels, noun }: { boxes: BoxCounts; labels: PairLabels; noun: string }) {
  return (
    <>
      <dl className="summary-list" aria-label={`${noun} matched`}>
        <Figure label="Precision" value={formatPercent(boxes.precision, 1)} />
        <Figure label="Recall" value={formatPercent(boxes.recall, 1)} />
        <Figure label="F1" value={formatNumber(boxes.f1, { min: 2, max: 2 })} />
        <Figure label="Found by both" value={formatNumber(boxes.tp)} />
        <Figure label={`Only ${labels.candidate}`} value={formatNumber(boxes.fp)} />
        <Figure label={`Only ${labels.baseline}`} value={formatNumber(boxes.fn)} />
      </dl>
      <p className="hint">
        {noun} are matched at an overlap (IoU) of 0.5 or more. {labels.baseline} is the reference: precision is the share of{" "}
        {labels.candidate}&rsquo;s boxes that {labels.baseline} also found, recall the share of {labels.baseline}&rsquo;s boxes
        that {labels.candidate} found.
      </p>
    </>
  );
}

export function Figure({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** The same figures per class, the classes found most first. */
export function PerClassTable({ perClass, labels }: { perClass: Record<string, BoxCounts>; labels: PairLabels }) {
  const captionId = useId();
  const rows = Object.entries(perClass).sort(([a, x], [b, y]) => y.tp + y.fn + y.fp - (x.tp + x.fn + x.fp) || a.localeCompare(b));
  if (rows.length === 0) return null;
  return (
    <ScrollTable captionId={captionId}>
      <table className="table">
        <caption id={captionId}>Per class</caption>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col" className="num">Precision</th>
            <th scope="col" className="num">Recall</th>
            <th scope="col" className="num">F1</th>
            <th scope="col" className="num">Both</th>
            <th scope="col" className="num">Only {labels.candidate}</th>
            <th scope="col" className="num">Only {labels.baseline}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, counts]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td className="num">{formatPercent(counts.precision, 1)}</td>
              <td className="num">{formatPercent(counts.recall, 1)}</td>
              <td className="num">{formatNumber(counts.f1, { min: 2, max: 2 })}</td>
              <td className="num">{formatNumber(counts.tp)}</td>
              <td className="num">{formatNumber(counts.fp)}</td>
              <td className="num">{formatNumber(counts.fn)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}
