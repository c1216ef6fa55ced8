import { Link } from "react-router";
import { downloadUrl, mainDownload } from "@/api/predictions";
import type { FilesAction } from "@/api/admin";
import type { Job, JobSort } from "@/api/types";
import { paths } from "@/config/paths";
import { StatusBadge } from "@/components/StatusBadge";
import { formatDateTime, formatDuration } from "@/lib/format";
import type { AdminFilters } from "../filters";

const COLUMNS: { key: JobSort | null; label: string }[] = [
  { key: "user", label: "User" },
  { key: "model", label: "Model" },
  { key: "name", label: "File" },
  { key: "created", label: "Date and time" },
  { key: "status", label: "Status" },
  { key: "duration", label: "Duration" },
  { key: null, label: "Actions" },
];

interface Props {
  jobs: Job[];
  sort: AdminFilters["sort"];
  order: AdminFilters["order"];
  /** a column header was clicked */
  onSort: (column: JobSort) => void;
  /** called once the administrator has confirmed */
  onDelete: (id: string) => void;
  deleting: boolean;
  /** pin/unpin against the retention period, or purge the files (purge: once confirmed) */
  onFiles: (id: string, action: FilesAction) => void;
  filesBusy: boolean;
}

/** Every user's predictions, one page, with sortable columns. */
export function PredictionsTable({ jobs, sort, order, onSort, onDelete, deleting, onFiles, filesBusy }: Props) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">
          Predictions, sorted by {sort} ({order === "asc" ? "ascending" : "descending"})
        </caption>
        <thead>
          <tr>
            {COLUMNS.map((column) => {
              const active = column.key !== null && sort === column.key;
              return (
                <th key={column.label} scope="col" aria-sort={active ? (order === "asc" ? "ascending" : "descending") : undefined}>
                  {column.key ? (
                    <button type="button" className="sort-button" onClick={() => onSort(column.key!)}>
                      {column.label}
                      <span aria-hidden="true" className="sort-mark">
                        {active ? (order === "asc" ? " ▲" : " ▼") : " ↕"}
                      </span>
                    </button>
                  ) : (
                    <span className="visually-hidden">{column.label}</span>
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => {
            const file = job.inputs.length > 1 ? `${job.inputs[0]?.name} +${job.inputs.length - 1}` : (job.inputs[0]?.name ?? "–");
            const expired = Boolean(job.files_expired_at);
            const download = expired ? null : mainDownload(job);
            const ended = job.status !== "queued" && job.status !== "running";
            return (
              <tr key={job.id}>
                <td data-label="User" className="break">{job.user_email ?? <span className="muted">anonymous</span>}</td>
                <td data-label="Model">{job.model}</td>
                <td data-label="File" className="break">{file}</td>
                <td data-label="Date">{formatDateTime(job.timings.created)}</td>
                <td data-label="Status">
                  <StatusBadge status={job.status} />
                  {job.error && <span className="visually-hidden">: {job.error}</span>}
                  {expired && <span className="muted"> files expired</span>}
                  {job.pinned && !expired && <span className="muted"> pinned</span>}
                </td>
                <td data-label="Duration">{formatDuration(job.duration_ms)}</td>
                <td className="actions">
                  <Link to={paths.prediction.href(job.id)}>
                    Preview<span className="visually-hidden"> {file}</span>
                  </Link>
                  {download && (
                    <a href={downloadUrl(download.url)} download>
                      Download<span className="visually-hidden"> {file}</span>
                    </a>
                  )}
                  {!expired && (
                    <button type="button" className="link-button" disabled={filesBusy} onClick={() => onFiles(job.id, job.pinned ? "unpin" : "pin")}>
                      {job.pinned ? "Unpin" : "Pin"}
                      <span className="visually-hidden"> {file}</span>
                    </button>
                  )}
                  {!expired && ended && (
                    <button
                      type="button"
                      className="link-button danger-text"
                      disabled={filesBusy}
                      onClick={() => {
                        if (window.confirm(`Delete the files of the prediction for ${file} now? The record stays.`)) onFiles(job.id, "purge");
                      }}
                    >
                      Purge files<span className="visually-hidden"> {file}</span>
                    </button>
                  )}
                  <button
                    type="button"
                    className="link-button danger-text"
                    disabled={deleting}
                    onClick={() => {
                      if (window.confirm(`Delete the prediction for ${file} (${job.user_email ?? "anonymous"})? This is recorded in the audit log.`)) {
                        onDelete(job.id);
                      }
                    }}
                  >
                    Delete<span className="visually-hidden"> {file}</span>
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
