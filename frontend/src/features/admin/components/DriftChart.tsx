import { useId } from "react";
import { countOf, formatDateTime, formatNumber } from "@/lib/format";
import { chartFrame, formatValue, linePath, place, verdictText, type DriftStatistic, type DriftWindow } from "../drift";
import "../drift.css";

const WIDTH = 320;
const HEIGHT = 124;
const LEFT = 56; // room for the value labels
const TOP = 14; // for the reference window's label, above the lines
const BOTTOM = 18; // and for the dates

/** One statistic of a version's drift: its mean per hour or day as a small line chart, the
 * reference window shaded and labelled, the reference mean dashed; the verdict in words. */
export function DriftChart({ stat, reference, recent }: { stat: DriftStatistic; reference: DriftWindow; recent: DriftWindow }) {
  const id = useId();
  const frame = chartFrame(stat, reference, recent);
  const plotWidth = WIDTH - LEFT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const { x, y } = place(frame, plotWidth, plotHeight);
  const shade =
    reference.start && reference.end
      ? { left: x(Date.parse(reference.start)), right: x(Date.parse(reference.end)) }
      : null;
  const refMean = stat.reference.mean;
  const description =
    `${stat.series_of}, from ${formatDateTime(new Date(frame.start).toISOString())} to ${formatDateTime(new Date(frame.end).toISOString())}. ` +
    (refMean !== null ? `Reference mean ${formatValue(stat, refMean)} (${formatNumber(stat.reference.n)} jobs); ` : "") +
    (stat.recent.mean !== null ? `recent mean ${formatValue(stat, stat.recent.mean)} (${formatNumber(stat.recent.n)} jobs). ` : "") +
    stat.note;

  return (
    <figure className={`drift-chart verdict-${stat.verdict}`} aria-labelledby={`${id}-caption`}>
      <figcaption id={`${id}-caption`}>
        <span>{stat.label}</span>{" "}
        <span className="drift-verdict">
          {stat.verdict === "drift" && <span aria-hidden="true">⚠ </span>}
          {verdictText(stat)}
          {stat.score !== null && ` · PSI ${formatNumber(stat.score, { min: 2, max: 2 })}`}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title`} aria-describedby={`${id}-desc`} className="drift-svg">
        <title id={`${id}-title`}>{stat.label}</title>
        <desc id={`${id}-desc`}>{description}</desc>
        <g transform={`translate(${LEFT} ${TOP})`}>
          {shade && (
            <g className="drift-reference">
              <rect x={shade.left} y={0} width={Math.max(2, shade.right - shade.left)} height={plotHeight} />
              <text x={shade.left} y={-4}>
                reference
              </text>
            </g>
          )}
          {refMean !== null && <line className="drift-ref-mean" x1={0} x2={plotWidth} y1={y(refMean)} y2={y(refMean)} />}
          <path className="drift-line" d={linePath(stat.series, frame, plotWidth, plotHeight)} />
          {stat.series.map((p) => (
            <circle key={p.start} className="drift-point" cx={x(Date.parse(p.start))} cy={y(p.mean)} r={2.5}>
              <title>{`${formatDateTime(p.start)}: ${formatValue(stat, p.mean)} (${formatNumber(p.n)} jobs)`}</title>
            </circle>
          ))}
          <line className="drift-axis" x1={0} x2={0} y1={0} y2={plotHeight} />
          <line className="drift-axis" x1={0} x2={plotWidth} y1={plotHeight} y2={plotHeight} />
        </g>
        <text className="drift-tick" x={LEFT - 4} y={TOP + 8} textAnchor="end">
          {formatValue(stat, frame.high)}
        </text>
        <text className="drift-tick" x={LEFT - 4} y={TOP + plotHeight} textAnchor="end">
          {formatValue(stat, frame.low)}
        </text>
        <text className="drift-tick" x={LEFT} y={HEIGHT - 4}>
          {formatDateTime(new Date(frame.start).toISOString())}
        </text>
        <text className="drift-tick" x={WIDTH} y={HEIGHT - 4} textAnchor="end">
          {formatDateTime(new Date(frame.end).toISOString())}
        </text>
      </svg>
      <p className="small muted">
        {`The line: ${stat.series_of}${refMean !== null ? "; dashed: the reference mean" : ""}. `}
        {refMean !== null && stat.recent.mean !== null
          ? `Reference ${formatValue(stat, refMean)} (${countOf(stat.reference.n, "job")}), recent ${formatValue(stat, stat.recent.mean)} (${countOf(stat.recent.n, "job")}). `
          : ""}
        {stat.note}
      </p>
      {stat.shares.length > 0 && (
        <table className="table drift-shares">
          <caption className="visually-hidden">{`${stat.label}: each class's share`}</caption>
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col" className="num">
                Reference
              </th>
              <th scope="col" className="num">
                Recent
              </th>
            </tr>
          </thead>
          <tbody>
            {stat.shares.map((share) => (
              <tr key={share.label}>
                <td>{share.label}</td>
                <td className="num">{formatValue(stat, share.reference)}</td>
                <td className="num">{formatValue(stat, share.recent)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
