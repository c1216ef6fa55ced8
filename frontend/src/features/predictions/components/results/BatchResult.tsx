import { useState } from "react";
import type { Artifact, Job } from "@/api/types";
import { FileName } from "@/components/FileName";
import { countOf, formatNumber, formatQuantity } from "@/lib/format";
import { SummaryList } from "./SummaryList";
import { countMap, num, record, str } from "./shape";
import { ResultSection } from "./ResultSection";
import "./results.css";

/** A batch (several files or a ZIP): one row per file, the annotated image on demand. */
export function BatchResult({ job }: { job: Job }) {
  const result = record(job.result);
  const perFile = Array.isArray(result.per_file) ? result.per_file.map(record) : [];
  const byName = new Map(job.artifacts.map((a) => [a.name, a]));
  const [open, setOpen] = useState<number | null>(null);
  const isFaces = perFile.some((f) => "faces" in f);
  return (
    <ResultSection title="Results per file">
      <SummaryList
        label="Batch"
        items={[
          { label: "Files", value: num(result.files) ?? perFile.length },
          { label: "Succeeded", value: num(result.succeeded) },
          { label: "Failed", value: num(result.failed) },
        ]}
      />
      <div className="table-wrap">
        <table className="table responsive">
          <caption>Every file of the batch</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col" className="num">{isFaces ? "Faces" : "Objects"}</th>
              <th scope="col">Details</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {perFile.map((file, index) => {
              const annotated = str(file.annotated) ? byName.get(file.annotated as string) : undefined;
              const error = str(file.error);
              return (
                <tr key={index}>
                  <td data-label="File">
                    <FileName name={str(file.file) ?? `file ${index + 1}`} />
                  </td>
                  <td data-label={isFaces ? "Faces" : "Objects"} className="num">{error ? "–" : (num(file.count) ?? num(file.faces) ?? "–")}</td>
                  <td data-label="Details">{error ? <span className="text-error">Failed: {error}</span> : details(file)}</td>
                  <td className="actions">
                    {annotated ? (
                      <button
                        type="button"
                        className="link-button"
                        aria-expanded={open === index}
                        aria-controls={`batch-preview-${index}`}
                        onClick={() => setOpen(open === index ? null : index)}
                      >
                        {open === index ? "Hide" : "View"}
                        <span className="visually-hidden"> {str(file.file)}</span>
                      </button>
                    ) : (
                      "–"
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {open !== null && perFile[open] && <Preview file={perFile[open]} artifact={byName.get(str(perFile[open].annotated) ?? "")} index={open} />}
    </ResultSection>
  );
}

function details(file: Record<string, unknown>): string {
  if ("faces" in file) {
    const women = num(file.women);
    const men = num(file.men);
    const uncertain = num(file.uncertain);
    const rest = uncertain ? `, ${formatNumber(uncertain)} uncertain` : "";
    return women !== null && men !== null ? `${countOf(women, "woman", "women")}, ${countOf(men, "man", "men")}${rest}` : "";
  }
  const counts = countMap(file.counts);
  if (counts.length) return counts.map(([label, n]) => `${label} ${formatNumber(n)}`).join(", ");
  return num(file.width) && num(file.height) ? `${formatNumber(num(file.width))} × ${formatQuantity(num(file.height), "px")}` : "";
}

function Preview({ file, artifact, index }: { file: Record<string, unknown>; artifact?: Artifact; index: number }) {
  if (!artifact) return null;
  return (
    <figure className="batch-preview" id={`batch-preview-${index}`}>
      <img src={artifact.url} alt={`${str(file.file) ?? "the file"} with the model's boxes drawn on it`} />
      <figcaption>{str(file.file)}</figcaption>
    </figure>
  );
}
