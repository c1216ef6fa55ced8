import type { Job } from "@/api/types";
import { BoxViewer } from "./BoxViewer";
import { detectionsFromObjects, type Detection } from "./boxes";
import { LookedFor } from "./LookedFor";
import { formatNumber, formatPercent, formatQuantity } from "@/lib/format";
import { SummaryList } from "./SummaryList";
import { imageSpace, num, record } from "./shape";
import { ResultSection } from "./ResultSection";
import "./results.css";

export function DetectionResult({ job }: { job: Job }) {
  const result = record(job.result);
  const detections = detectionsFromObjects(result.items);
  const input = job.inputs[0];
  const counts = record(result.counts);
  return (
    <ResultSection title="Detected objects">
      <SummaryList
        label="Summary"
        items={[
          { label: "Objects found", value: num(result.count) ?? detections.length },
          {
            label: "Classes",
            value: Object.keys(counts).length ? Object.entries(counts).map(([k, v]) => `${k} ${typeof v === "number" ? formatNumber(v) : String(v)}`).join(", ") : null,
          },
          { label: "Image size", value: imageSpace(result) ? `${formatNumber(num(result.width))} × ${formatQuantity(num(result.height), "px")}` : null },
        ]}
      />
      <LookedFor classes={result.model_classes} />
      {input ? (
        <BoxViewer
          imageUrl={input.url}
          imageName={input.name}
          original={imageSpace(result)}
          detections={detections}
          noun="object"
          runConfidence={num(job.params.conf)}
          renderTable={(shown) => <DetectionTable detections={shown} />}
        />
      ) : (
        <DetectionTable detections={detections} />
      )}
    </ResultSection>
  );
}

export function DetectionTable({ detections, caption = "Detections" }: { detections: Detection[]; caption?: string }) {
  if (detections.length === 0) return <p>No objects to list.</p>;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Class</th>
            <th scope="col" className="num">Confidence</th>
            <th scope="col" className="hide-narrow">Box (x1, y1, x2, y2 px)</th>
          </tr>
        </thead>
        <tbody>
          {detections.map((d) => (
            <tr key={d.index}>
              <td>{d.index + 1}</td>
              <td>{d.label}</td>
              <td className="num">{formatPercent(d.confidence, 1)}</td>
              <td className="mono hide-narrow">{d.box.map((v) => Math.round(v)).join(", ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
