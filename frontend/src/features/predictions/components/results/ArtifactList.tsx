import type { Artifact, InputFile } from "@/api/types";
import { downloadUrl } from "@/api/predictions";
import { formatBytes } from "@/lib/format";

const ROLE_TEXT: Record<string, string> = {
  annotated: "annotated",
  mask: "mask",
  preview: "preview",
  data: "data",
  archive: "archive",
  input: "input",
};

export function ArtifactList({ artifacts, inputs, title = "Files" }: { artifacts: Artifact[]; inputs?: InputFile[]; title?: string }) {
  if (artifacts.length === 0 && (!inputs || inputs.length === 0)) return null;
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
                <td data-label="File" className="break">{artifact.name}</td>
                <td data-label="Kind">{ROLE_TEXT[artifact.role] ?? artifact.role}</td>
                <td data-label="Size">
                  {artifact.deferred ? <span className="muted">drawn when first opened</span> : formatBytes(artifact.size)}
                </td>
                <td className="actions">
                  <a href={artifact.url} target="_blank" rel="noopener">
                    Open<span className="visually-hidden"> {artifact.name}</span>
                  </a>
                  <a href={downloadUrl(artifact.url)} download>
                    Download<span className="visually-hidden"> {artifact.name}</span>
                  </a>
                </td>
              </tr>
            ))}
            {inputs?.map((input) => (
              <tr key={input.url}>
                <td data-label="File" className="break">{input.name}</td>
                <td data-label="Kind">your upload</td>
                <td data-label="Size">{formatBytes(input.size)}</td>
                <td className="actions">
                  <a href={downloadUrl(input.url)} download>
                    Download<span className="visually-hidden"> {input.name}</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** The main downloads as buttons: the archive, the CSV, the annotated file. */
export function DownloadButtons({ artifacts }: { artifacts: Artifact[] }) {
  if (artifacts.length === 0) return null;
  return (
    <div className="download-buttons">
      {artifacts.map((artifact) => (
        <a key={artifact.name} className="button" href={downloadUrl(artifact.url)} download>
          Download {artifact.name}
        </a>
      ))}
    </div>
  );
}
