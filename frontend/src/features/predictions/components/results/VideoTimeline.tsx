// How many of each class a video shows over time: the summary's `timeline` (one count per
// bucket of `bucket_s` seconds) as a small step chart, one line per class in the class's
// colour (the boxes' colour), with a playhead at the video's time; a click seeks the video
// there. Plain SVG with presentation attributes (the CSP allows no inline styles).
import type { MouseEvent } from "react";
import { classColour } from "@/lib/classColour";
import { formatQuantity } from "@/lib/format";
import { num, record } from "./shape";
import "./VideoTimeline.css";

const WIDTH = 640;
const HEIGHT = 160;
const PAD = { left: 28, right: 8, top: 8, bottom: 22 };

export interface TimelineSeries {
  label: string;
  counts: number[];
}

/** The timeline's series, or null when the result has none worth drawing. */
export function timelineSeries(value: unknown): { bucket: number; series: TimelineSeries[] } | null {
  const timeline = record(value);
  const bucket = num(timeline.bucket_s);
  const series = Object.entries(record(timeline.counts))
    .filter((entry): entry is [string, number[]] => Array.isArray(entry[1]) && entry[1].every((n) => typeof n === "number"))
    .map(([label, counts]) => ({ label, counts }));
  if (!bucket || bucket <= 0 || series.length === 0 || series[0].counts.length === 0) return null;
  return { bucket, series };
}

interface Props {
  timeline: unknown;
  /** the colour of each of the video's classes */
  colors: Record<string, string>;
  /** the video's time, in seconds: where the playhead is (none without) */
  time?: number | null;
  /** seeks the video (a click on the chart) */
  onSeek?: (seconds: number) => void;
}

export function VideoTimeline({ timeline, colors, time = null, onSeek }: Props) {
  const data = timelineSeries(timeline);
  if (!data) return null;
  const { bucket, series } = data;
  const buckets = Math.max(...series.map((s) => s.counts.length));
  const top = Math.max(1, ...series.flatMap((s) => s.counts));
  const seconds = buckets * bucket;
  const x = (i: number) => PAD.left + (i / buckets) * (WIDTH - PAD.left - PAD.right);
  const y = (n: number) => HEIGHT - PAD.bottom - (n / top) * (HEIGHT - PAD.top - PAD.bottom);
  // Lines at the same count would hide each other: each class is nudged a pixel or two.
  const nudge = (index: number) => (index - (series.length - 1) / 2) * 2;
  const steps = (counts: number[], dy: number) => counts.map((n, i) => `${x(i)},${y(n) + dy} ${x(i + 1)},${y(n) + dy}`).join(" ");
  const ticks = [0, seconds / 2, seconds];
  const description = series.map((s) => `${s.label}: up to ${Math.max(...s.counts)}`).join(", ");
  const seek = (event: MouseEvent<SVGSVGElement>) => {
    const at = viewBoxX(event);
    if (!onSeek || at === null) return;
    const fraction = (at - PAD.left) / (WIDTH - PAD.left - PAD.right);
    onSeek(Math.min(Math.max(fraction, 0), 1) * seconds);
  };
  const playhead = time !== null && Number.isFinite(time) ? x((Math.min(Math.max(time, 0), seconds) / seconds) * buckets) : null;
  return (
    <figure className="video-timeline">
      <figcaption>
        In view over time (the most of each class in one frame, per {bucket} s){onSeek ? "; click the chart to go to that moment of the video" : ""}
      </figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Objects in view over ${formatQuantity(seconds, "s", { min: 1, max: 1 })}: ${description}`}
        className={onSeek ? "seekable" : undefined}
        onClick={onSeek ? seek : undefined}
      >
        <line x1={PAD.left} y1={y(0)} x2={WIDTH - PAD.right} y2={y(0)} stroke="currentColor" strokeOpacity={0.4} />
        <line x1={PAD.left} y1={y(0)} x2={PAD.left} y2={PAD.top} stroke="currentColor" strokeOpacity={0.4} />
        <text x={PAD.left - 4} y={y(top) + 4} textAnchor="end" fontSize={11} fill="currentColor">
          {top}
        </text>
        <text x={PAD.left - 4} y={y(0)} textAnchor="end" fontSize={11} fill="currentColor">
          0
        </text>
        {ticks.map((t, i) => (
          <text key={i} x={x((t / seconds) * buckets)} y={HEIGHT - 6} textAnchor={i === 0 ? "start" : i === 2 ? "end" : "middle"} fontSize={11} fill="currentColor">
            {formatQuantity(t, "s", 1)}
          </text>
        ))}
        {series.map((s, i) => (
          <polyline key={s.label} points={steps(s.counts, nudge(i))} fill="none" stroke={colors[s.label] ?? classColour(s.label)} strokeWidth={2} data-label={s.label} />
        ))}
        {playhead !== null && <line className="playhead" x1={playhead} y1={PAD.top} x2={playhead} y2={y(0)} stroke="currentColor" strokeWidth={1.5} data-time={time} />}
      </svg>
      <ul className="video-timeline-legend" aria-label="Classes">
        {series.map((s) => (
          <li key={s.label}>
            <svg width="12" height="12" aria-hidden="true">
              <rect width="12" height="12" rx="2" fill={colors[s.label] ?? classColour(s.label)} />
            </svg>{" "}
            {s.label}
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** Where a click is on the chart's x axis, in viewBox units: through the SVG's own transform
 * (the chart keeps its proportions inside a box of another shape), else its box. */
function viewBoxX(event: MouseEvent<SVGSVGElement>): number | null {
  const svg = event.currentTarget;
  const matrix = typeof svg.getScreenCTM === "function" ? svg.getScreenCTM() : null;
  if (matrix) return new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse()).x;
  const box = svg.getBoundingClientRect();
  return box.width > 0 ? ((event.clientX - box.left) / box.width) * WIDTH : null;
}
