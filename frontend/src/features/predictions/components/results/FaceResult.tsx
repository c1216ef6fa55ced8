import type { Job } from "@/api/types";
import { BoxViewer } from "./BoxViewer";
import { detectionsFromFaces, type Detection } from "./boxes";
import { DownloadButtons } from "./ArtifactList";
import { SummaryList } from "./SummaryList";
import { imageSpace, num, record } from "./shape";

export const FACE_COLORS: Record<string, string> = { woman: "#be185d", man: "#1d4ed8", face: "#047857" };

export function FaceResult({ job }: { job: Job }) {
  const result = record(job.result);
  const faces = detectionsFromFaces(result.items);
  const items = Array.isArray(result.items) ? (result.items as Record<string, unknown>[]) : [];
  const input = job.inputs[0];
  return (
    <section className="panel" aria-labelledby="result-heading">
      <h2 id="result-heading">Faces</h2>
      <SummaryList
        label="Summary"
        items={[
          { label: "Faces", value: num(result.faces) ?? faces.length },
          { label: "Women", value: num(result.women) },
          { label: "Men", value: num(result.men) },
        ]}
      />
      {input ? (
        <BoxViewer
          imageUrl={input.url}
          imageName={input.name}
          original={imageSpace(result)}
          detections={faces}
          colors={FACE_COLORS}
          noun="face"
          confidenceLabel="Minimum face confidence"
          renderTable={(shown) => <FaceTable faces={shown} items={items} />}
        />
      ) : (
        <FaceTable faces={faces} items={items} />
      )}
      <DownloadButtons artifacts={job.artifacts.filter((a) => a.role === "annotated" || a.role === "data")} />
    </section>
  );
}

function FaceTable({ faces, items }: { faces: Detection[]; items: Record<string, unknown>[] }) {
  if (faces.length === 0) return <p>No faces to list.</p>;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption>Faces</caption>
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
            const probability = num(items[face.index]?.probability);
            return (
              <tr key={face.index}>
                <td>{face.index + 1}</td>
                <td>{face.label}</td>
                <td className="num">{probability === null ? "–" : `${(probability * 100).toFixed(1)}%`}</td>
                <td className="num">{(face.confidence * 100).toFixed(1)}%</td>
                <td className="mono hide-narrow">{face.box.map((v) => Math.round(v)).join(", ")}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
