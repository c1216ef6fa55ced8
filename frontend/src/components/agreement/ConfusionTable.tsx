import { useId } from "react";
import type { LabelAgreement } from "@/api/types";
import { formatNumber, formatPercent } from "@/lib/format";
import { ScrollTable } from "@/components/ScrollTable";
import { Figure } from "./BoxFigures";
import type { PairLabels } from "./types";

interface Props {
  agreement: LabelAgreement;
  labels: PairLabels;
  /** what was labelled: "Top-1 label", "Gender" */
  what: string;
}

/** How often both sides gave the same label, and the confusion between them: the baseline's
 * labels as rows, the candidate's as columns; the cells where they agree are marked in words
 * and in bold, not by colour alone. */
export function LabelFigures({ agreement, labels, what }: Props) {
  const captionId = useId();
  const rows = Object.keys(agreement.confusion ?? {}).sort();
  const columns = [...new Set([...rows, ...Object.values(agreement.confusion ?? {}).flatMap((row) => Object.keys(row))])].sort();
  return (
    <>
      <dl className="summary-list" aria-label={`${what} agreement`}>
        <Figure label={`${what} agreement`} value={formatPercent(agreement.rate, 1)} />
        <Figure label="Same label" value={`${formatNumber(agreement.agreed)} of ${formatNumber(agreement.compared)}`} />
      </dl>
      {rows.length > 0 && (
        <ScrollTable captionId={captionId}>
          <table className="table confusion">
            <caption id={captionId}>
              {what}: {labels.baseline} (rows) against {labels.candidate} (columns); the same label in bold
            </caption>
            <thead>
              <tr>
                <th scope="col">
                  {labels.baseline} <span aria-hidden="true">↓</span> / {labels.candidate} <span aria-hidden="true">→</span>
                </th>
                {columns.map((column) => (
                  <th key={column} scope="col" className="num">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row}>
                  <th scope="row">{row}</th>
                  {columns.map((column) => {
                    const count = agreement.confusion?.[row]?.[column] ?? 0;
                    return row === column ? (
                      <td key={column} className="num confusion-same">
                        <strong>{formatNumber(count)}</strong>{" "}
                        <span className="visually-hidden">(the same label)</span>
                      </td>
                    ) : (
                      <td key={column} className={`num${count ? "" : " muted"}`}>
                        {formatNumber(count)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
    </>
  );
}
