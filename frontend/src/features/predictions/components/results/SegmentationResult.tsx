import { useId, useState } from "react";
import type { Job } from "@/api/types";
import { ScrollTable } from "@/components/ScrollTable";
import { formatNumber, formatPercent } from "@/lib/format";
import { colorFor } from "./boxes";
import { SummaryList } from "./SummaryList";
import { imageSpace, num, record, str, type Dict } from "./shape";
import { ResultSection } from "./ResultSection";
import "./results.css";
import "./LabelResults.css";

/** One class's area in the mask. */
interface Area {
  label: string;
  pixels: number | null;
  fraction: number | null;
  color: string;
}

const HEX_COLOR = /^#[0-9a-f]{6}$/i;

/** The result's items, largest area first; the fraction from the pixels when it is missing. */
function readAreas(result: Dict): Area[] {
  const size = imageSpace(result);
  const total = size ? size.width * size.height : null;
  const items = Array.isArray(result.items) ? result.items.map(record) : [];
  return items
    .map((item, index) => {
      const classId = num(item.class_id);
      const label = str(item.label) ?? (classId !== null ? `class ${classId}` : `class ${index + 1}`);
      const pixels = num(item.pixels);
      const fraction = num(item.fraction) ?? (pixels !== null && total ? pixels / total : null);
      const color = str(item.color);
      return { label, pixels, fraction, color: color && HEX_COLOR.test(color) ? color : colorFor(label) };
    })
    .sort((a, b) => (b.fraction ?? 0) - (a.fraction ?? 0));
}

/** A share of the image in words: "12.5%", and "under 0.1%" rather than a misleading 0.0%. */
function areaText(fraction: number | null): string {
  if (fraction === null) return "–";
  if (fraction > 0 && fraction < 0.0005) return "under 0.1%";
  return formatPercent(fraction, 1);
}

export function SegmentationResult({ job }: { job: Job }) {
  const result = record(job.result);
  const areas = readAreas(result);
  const input = job.inputs[0];
  const mask = job.artifacts.find((a) => a.role === "mask") ?? job.artifacts.find((a) => a.name === "mask.png");
  const covered = areas.every((a) => a.fraction !== null) && areas.length > 0 ? areas.reduce((sum, a) => sum + (a.fraction ?? 0), 0) : null;
  return (
    <ResultSection title="Segmentation">
      <SummaryList
        label="Summary"
        items={[
          { label: "Classes found", value: areas.length },
          { label: "Image covered", value: covered !== null ? areaText(Math.min(1, covered)) : null },
          { label: "Image size", value: imageSpace(result) ? `${result.width} × ${result.height} px` : null },
        ]}
      />
      {input && mask && <MaskOverlay imageUrl={input.url} maskUrl={mask.url} alt={`${input.name}, with the area of each class coloured over it. The table below names the colours.`} />}
      {input && !mask && <p>This job has no mask to lay over the image; the files below are what it has.</p>}
      {areas.length === 0 ? <p>The model found none of its classes in this image.</p> : <AreaTable areas={areas} />}
    </ResultSection>
  );
}

/** The input image with the mask laid over it (an SVG image, so that its opacity is an
 * attribute: the app's CSP allows no inline style), and the opacity slider. */
function MaskOverlay({ imageUrl, maskUrl, alt }: { imageUrl: string; maskUrl: string; alt: string }) {
  const [opacity, setOpacity] = useState(50);
  const [imageFailed, setImageFailed] = useState(false);
  const [maskFailed, setMaskFailed] = useState(false);
  const sliderId = useId();
  if (imageFailed) {
    return (
      <p className="alert alert-warning" role="alert">
        The image could not be shown (it may have been deleted); the table below still lists the areas.
      </p>
    );
  }
  return (
    <div className="mask-viewer">
      <div className="mask-stage">
        <img src={imageUrl} alt={alt} onError={() => setImageFailed(true)} />
        {!maskFailed && (
          <svg className="mask-overlay" viewBox="0 0 1 1" preserveAspectRatio="none" aria-hidden="true" focusable="false">
            <image href={maskUrl} width="1" height="1" preserveAspectRatio="none" opacity={opacity / 100} onError={() => setMaskFailed(true)} />
          </svg>
        )}
      </div>
      {maskFailed ? (
        <p className="alert alert-warning" role="alert">
          The mask could not be shown over the image; the table below still lists the areas.
        </p>
      ) : (
        <div className="field mask-opacity">
          <label htmlFor={sliderId}>
            Mask opacity: <strong>{formatPercent(opacity / 100)}</strong>
          </label>
          <input
            id={sliderId}
            type="range"
            min={0}
            max={100}
            step={5}
            value={opacity}
            aria-valuetext={formatPercent(opacity / 100)}
            onChange={(event) => setOpacity(Number(event.target.value))}
          />
        </div>
      )}
    </div>
  );
}

/** Each class: its colour in the mask, its name, and its area. On a narrow screen the table
 * scrolls sideways, and says so while it does. */
function AreaTable({ areas }: { areas: Area[] }) {
  const captionId = useId();
  return (
    <ScrollTable captionId={captionId}>
      <table className="table area-table">
        <caption id={captionId}>Area of each class</caption>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col" className="num">% of the image</th>
            <th scope="col" className="num">Pixels</th>
          </tr>
        </thead>
        <tbody>
          {areas.map((area, index) => (
            <tr key={`${area.label}-${index}`}>
              <td>
                <span className="area-class">
                  <svg className="area-swatch" viewBox="0 0 10 10" aria-hidden="true" focusable="false">
                    <rect width="10" height="10" rx="2" fill={area.color} />
                  </svg>
                  {area.label}
                </span>
              </td>
              <td className="num">{areaText(area.fraction)}</td>
              <td className="num">{formatNumber(area.pixels)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}
