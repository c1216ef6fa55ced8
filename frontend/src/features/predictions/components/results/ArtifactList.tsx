import type { Artifact, Job } from "@/api/types";
import { downloadUrl, mainOutput } from "@/api/predictions";
import { FileName } from "@/components/FileName";
import { RowActions } from "@/components/RowActions";
import { formatBytes } from "@/lib/format";
import "./results.css";

const ROLE_TEXT: Record<string, string> = {
  annotated: "annotated",
  mask: "mask",
  preview: "preview",
  data: "data",
  archive: "archive",
  input: "input",
};

/** The job's files, each once with its Open and Download: the one the API names its main
 * output first, its Download a button. The page's only download links (the viewers offer
 * none of their own). */
export function ArtifactList({ job, title = "Files" }: { job: Pick<Job, "artifacts" | "inputs" | "main_output" | "files_expired_at">; title?: string }) {
  const main = mainOutput(job);
  const artifacts = main ? [main, ...job.artifacts.filter((a) => a !== main)] : job.artifacts;
  const inputs = job.inputs;
  if (artifacts.length === 0 && inputs.length === 0) return null;
  const deferred = artifacts.some((a) => a.deferred);
  return (
    <section className="panel" aria-labelledby="files-heading">
      <h2 id="files-heading">{title}</h2>
      <div className="table-wrap">
        <table className="table responsive">
          <caption className="visually-hidden">Files of this prediction</caption>
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Kind</th>
              <th scope="col">Size</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {artifacts.map((artifact) => (
              <tr key={artifact.name}>
                <td data-label="File">
                  <FileName name={artifact.name} />
                </td>
                <td data-label="Kind">{ROLE_TEXT[artifact.role] ?? artifact.role}</td>
                <td data-label="Size">
                  <SizeCell artifact={artifact} />
                </td>
                <RowActions
                  subject={artifact.name}
                  actions={[
                    { kind: "link", label: "Open", href: artifact.url, newTab: true },
                    { kind: "link", label: "Download", href: downloadUrl(artifact.url), download: true, look: artifact === main ? "button" : "link" },
                  ]}
                />
              </tr>
            ))}
            {inputs.map((input) => (
              <tr key={input.url}>
                <td data-label="File">
                  <FileName name={input.name} />
                </td>
                <td data-label="Kind">your upload</td>
                <td data-label="Size">{formatBytes(input.size)}</td>
                <RowActions subject={input.name} actions={[{ kind: "link", label: "Download", href: downloadUrl(input.url), download: true }]} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {deferred && (
        <p className="hint">
          A dash for the size: that file is drawn the first time it is opened or downloaded, so its size is not known yet.
        </p>
      )}
    </section>
  );
}

/** A size, or a dash (the note under the table says why; screen readers hear it here). */
function SizeCell({ artifact }: { artifact: Artifact }) {
  if (!artifact.deferred) return <>{formatBytes(artifact.size)}</>;
  return (
    <>
      <span aria-hidden="true">–</span>
      <span className="visually-hidden">not known until the file is first opened</span>
    </>
  );
}
