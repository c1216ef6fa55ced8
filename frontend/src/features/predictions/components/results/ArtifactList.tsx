import type { Artifact, InputFile } from "@/api/types";
import { downloadUrl } from "@/api/predictions";
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
                <RowActions
                  subject={artifact.name}
                  actions={[
                    { kind: "link", label: "Open", href: artifact.url, newTab: true },
                    { kind: "link", label: "Download", href: downloadUrl(artifact.url), download: true },
                  ]}
                />
              </tr>
            ))}
            {inputs?.map((input) => (
              <tr key={input.url}>
                <td data-label="File" className="break">{input.name}</td>
                <td data-label="Kind">your upload</td>
                <td data-label="Size">{formatBytes(input.size)}</td>
                <RowActions subject={input.name} actions={[{ kind: "link", label: "Download", href: downloadUrl(input.url), download: true }]} />
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
