// An input image with boxes drawn over it in the browser, from the result's JSON: class
// toggles and a confidence slider filter the boxes; a table lists what is shown.
import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from "react";
import { classCounts, colorFor, toggleLabel, visibleDetections, type Detection, type Size } from "./boxes";
import { useClassColours } from "./classColours";
import { paintDetections } from "./paint";
import { countOf, formatPercent } from "@/lib/format";
import "./BoxViewer.css";

interface Props {
  imageUrl: string;
  imageName: string;
  /** the size the boxes' pixel coordinates refer to; the image's own size when unknown */
  original: Size | null;
  detections: Detection[];
  /** fixed colours for some labels (e.g. woman, man); the others are coloured together, over
   * every detection (whatever is filtered out), as the server draws the annotated image */
  colors?: Record<string, string>;
  /** the table of boxes: receives what is shown */
  renderTable: (shown: Detection[]) => ReactNode;
  /** what a box is, for the texts: "object", "face" */
  noun: string;
  /** the slider's label */
  confidenceLabel?: string;
  /** the minimum confidence the run itself used (the job's parameter): nothing below it was
   * kept, so the slider starts there and cannot go lower */
  runConfidence?: number | null;
}

export function BoxViewer({
  imageUrl,
  imageName,
  original,
  detections,
  colors: fixed,
  renderTable,
  noun,
  confidenceLabel = "Minimum confidence",
  runConfidence,
}: Props) {
  const floor = runConfidence != null && runConfidence >= 0 && runConfidence < 1 ? runConfidence : 0;
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [minConfidence, setMinConfidence] = useState(floor);
  const sliderId = useId();
  const sliderHint = useId();
  const shown = useMemo(() => visibleDetections(detections, { hidden, minConfidence }), [detections, hidden, minConfidence]);
  const classes = useMemo(() => classCounts(detections, minConfidence), [detections, minConfidence]);
  const colors = { ...useClassColours(detections.map((d) => d.label)), ...fixed };
  const plural = (n: number) => countOf(n, noun);

  return (
    <div className="box-viewer">
      <BoxCanvas
        imageUrl={imageUrl}
        alt={`${imageName}, with ${plural(shown.length)} marked (of ${detections.length} found). The table below lists them.`}
        original={original}
        detections={shown}
        colors={colors}
      />
      {detections.length > 0 && (
        <div className="box-controls">
          <fieldset className="class-toggles">
            <legend>Show</legend>
            {classes.map(({ label, total, shown: above }) => (
              <label key={label} className="toggle">
                <input type="checkbox" checked={!hidden.has(label)} onChange={() => setHidden(toggleLabel(hidden, label))} />
                <svg className="swatch" viewBox="0 0 10 10" aria-hidden="true" focusable="false">
                  <rect width="10" height="10" rx="2" fill={colorFor(label, colors)} />
                </svg>
                {label} <span className="muted">({above === total ? total : `${above} of ${total}`})</span>
              </label>
            ))}
            {classes.length > 1 && (
              <div className="toggle-all">
                <button type="button" className="link-button" onClick={() => setHidden(new Set())}>
                  Show all
                </button>
                <button type="button" className="link-button" onClick={() => setHidden(new Set(classes.map((c) => c.label)))}>
                  Hide all
                </button>
              </div>
            )}
          </fieldset>
          <div className="field">
            <label htmlFor={sliderId}>
              {confidenceLabel}: <strong>{formatPercent(minConfidence)}</strong>
            </label>
            <input
              id={sliderId}
              type="range"
              min={floor}
              max={1}
              step={0.01}
              value={minConfidence}
              aria-valuetext={formatPercent(minConfidence)}
              aria-describedby={floor > 0 ? sliderHint : undefined}
              onChange={(event) => setMinConfidence(Number(event.target.value))}
            />
            {floor > 0 && (
              <p id={sliderHint} className="hint">
                This run kept what it found from {formatPercent(floor)} up; raise it to hide the less confident.
              </p>
            )}
          </div>
          <p className="muted" aria-live="polite">
            Showing {plural(shown.length)} of {detections.length}.
          </p>
        </div>
      )}
      {renderTable(shown)}
    </div>
  );
}

interface CanvasProps {
  imageUrl: string;
  alt: string;
  original: Size | null;
  detections: Detection[];
  colors: Record<string, string>;
}

/** The image, and a canvas exactly over it; boxes are redrawn when either changes size. */
export function BoxCanvas({ imageUrl, alt, original, detections, colors }: CanvasProps) {
  const image = useRef<HTMLImageElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [displayed, setDisplayed] = useState<Size>({ width: 0, height: 0 });
  const [natural, setNatural] = useState<Size | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const element = image.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => setDisplayed({ width: element.clientWidth, height: element.clientHeight }));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const space = original ?? natural;

  useEffect(() => {
    if (canvas.current && space) paintDetections(canvas.current, detections, space, displayed, colors);
  }, [detections, displayed, space, colors]);

  if (failed) {
    return (
      <p className="alert alert-warning" role="alert">
        The image could not be shown (it may have been deleted); the table below still lists the results.
      </p>
    );
  }
  return (
    <div className="box-stage">
      <img
        ref={image}
        src={imageUrl}
        alt={alt}
        onLoad={(event) => {
          const element = event.currentTarget;
          setNatural({ width: element.naturalWidth, height: element.naturalHeight });
          setDisplayed({ width: element.clientWidth, height: element.clientHeight });
        }}
        onError={() => setFailed(true)}
      />
      <canvas ref={canvas} aria-hidden="true" />
    </div>
  );
}
