import { useId } from "react";
import type { Job } from "@/api/types";
import { ScrollTable } from "@/components/ScrollTable";
import { BoxViewer } from "./BoxViewer";
import { detectionsFromFaces, UNCERTAIN_REASONS, type Detection } from "./boxes";
import { formatPercent } from "@/lib/format";
import { SummaryList } from "./SummaryList";
import { imageSpace, num, record, type Dict } from "./shape";
import { ResultSection } from "./ResultSection";
import "./results.css";

export function FaceResult({ job }: { job: Job }) {
  const result = record(job.result);
  const faces = detectionsFromFaces(result.items);
  const items = Array.isArray(result.items) ? (result.items as Record<string, unknown>[]) : [];
  const input = job.inputs[0];
  return (
    <ResultSection title="Faces">
      <SummaryList
        label="Summary"
        items={[
          { label: "Faces", value: num(result.faces) ?? faces.length },
          { label: "Women", value: num(result.women) },
          { label: "Men", value: num(result.men) },
          ...(num(result.uncertain) === null ? [] : [{ label: "Uncertain", value: num(result.uncertain) }]),
        ]}
      />
      {input ? (
        <BoxViewer
          imageUrl={input.url}
          imageName={input.name}
          original={imageSpace(result)}
          detections={faces}
          noun="face"
          confidenceLabel="Minimum face confidence"
          runConfidence={num(job.params.min_confidence)}
          renderTable={(shown) => <FaceTable faces={shown} items={items} />}
        />
      ) : (
        <FaceTable faces={faces} items={items} />
      )}
    </ResultSection>
  );
}

/** The reasons of an "uncertain" face, in words. */
function uncertainWhy(item: Dict): string {
  const reasons = Array.isArray(item.uncertain) ? item.uncertain.filter((r): r is string => typeof r === "string") : [];
  return reasons.map((r) => UNCERTAIN_REASONS[r] ?? r).join(", ") || "not told";
}

/** The probability cell: for an uncertain face, which gender it leaned to, and how much. */
function probabilityText(item: Dict, label: string, probability: number | null): string {
  if (probability === null) return "–";
  const percent = formatPercent(probability, 1);
  if (label !== "uncertain") return percent;
  const both = Object.entries(record(item.probabilities)).filter((e): e is [string, number] => typeof e[1] === "number");
  const likelier = both.sort((a, b) => b[1] - a[1])[0]?.[0];
  return likelier ? `leans ${likelier}: ${percent}` : percent;
}

function FaceTable({ faces, items }: { faces: Detection[]; items: Record<string, unknown>[] }) {
  const captionId = useId();
  if (faces.length === 0) return <p>No faces to list.</p>;
  return (
    <ScrollTable captionId={captionId}>
      <table className="table">
        <caption id={captionId}>Faces</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Gender</th>
            <th scope="col" className="num">Gender probability</th>
            <th scope="col" className="num">Face confidence</th>
            <th scope="col" className="hide-narrow">Box (x1, y1, x2, y2 px)</th>
          </tr>
        </thead>
        <tbody>
          {faces.map((face) => {
            const item = items[face.index] ?? {};
            const probability = num(item.probability);
            return (
              <tr key={face.index}>
                <td>{face.index + 1}</td>
                <td>
                  {face.label}
                  {face.label === "uncertain" ? <span className="muted small"> ({uncertainWhy(item)})</span> : null}
                </td>
                <td className="num">{probabilityText(item, face.label, probability)}</td>
                <td className="num">{formatPercent(face.confidence, 1)}</td>
                <td className="mono hide-narrow">{face.box.map((v) => Math.round(v)).join(", ")}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </ScrollTable>
  );
}
