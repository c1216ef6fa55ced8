import { useId } from "react";
import { ScrollTable } from "@/components/ScrollTable";
import { formatDuration, formatNumber, formatPercent } from "@/lib/format";
import type { VersionFigures } from "../types";

interface Row {
  label: string;
  figures: VersionFigures;
}

/** Per version: the predictions it made over the period, its failures and latency
 * percentiles (the whole time, and the model's own). */
export function VersionFiguresTable({ rows, caption }: { rows: Row[]; caption: string }) {
  const captionId = useId();
  return (
    <ScrollTable captionId={captionId}>
      <table className="table">
        <caption id={captionId}>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col" className="num">Predictions</th>
            <th scope="col" className="num">Failed</th>
            <th scope="col" className="num">Latency p50</th>
            <th scope="col" className="num">p90</th>
            <th scope="col" className="num">p99</th>
            <th scope="col" className="num">Model time p50</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ label, figures }) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td className="num">{formatNumber(figures.predictions)}</td>
              <td className="num">
                {formatNumber(figures.failed)}
                {figures.predictions > 0 && figures.failed > 0 && (
                  <span className="muted"> ({formatPercent(figures.failed / figures.predictions, 1)})</span>
                )}
              </td>
              <td className="num">{formatDuration(figures.latency_ms.p50)}</td>
              <td className="num">{formatDuration(figures.latency_ms.p90)}</td>
              <td className="num">{formatDuration(figures.latency_ms.p99)}</td>
              <td className="num">{formatDuration(figures.model_ms.p50)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}
