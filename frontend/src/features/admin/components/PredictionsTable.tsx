import type { Job, JobSort } from "@/api/types";
import { JOB_COLUMN_LABELS, JobRow, jobFileLabel, jobLinks, type JobColumn } from "@/components/JobRow";
import type { FilesAction } from "../api";
import type { AdminFilters } from "../filters";
import "../admin.css";

const JOB_COLUMNS: JobColumn[] = ["user", "model", "file", "created", "status", "duration"];

/** The order the table is sorted by, per column ("file" sorts by the uploaded file's name). */
const SORT_KEY: Record<JobColumn, JobSort> = {
  user: "user",
  model: "model",
  file: "name",
  created: "created",
  status: "status",
  duration: "duration",
};

const COLUMNS: { key: JobSort | null; label: string }[] = [
  ...JOB_COLUMNS.map((column) => ({ key: SORT_KEY[column], label: JOB_COLUMN_LABELS[column] })),
  { key: null, label: "Actions" },
];

interface Props {
  jobs: Job[];
  /** a model's title by its name */
  modelTitle: (name: string) => string;
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
export function PredictionsTable({ jobs, modelTitle, sort, order, onSort, onDelete, deleting, onFiles, filesBusy }: Props) {
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
            const file = jobFileLabel(job);
            const expired = Boolean(job.files_expired_at);
            const ended = job.status !== "queued" && job.status !== "running";
            return (
              <JobRow
                key={job.id}
                job={job}
                columns={JOB_COLUMNS}
                modelTitle={modelTitle}
                actions={[
                  ...jobLinks(job, "Preview"),
                  !expired && {
                    kind: "button",
                    label: job.pinned ? "Unpin" : "Pin",
                    disabled: filesBusy,
                    onClick: () => onFiles(job.id, job.pinned ? "unpin" : "pin"),
                  },
                  !expired &&
                    ended && {
                      kind: "button",
                      label: "Purge files",
                      danger: true,
                      disabled: filesBusy,
                      confirm: `Delete the files of the prediction for ${file} now? The record stays.`,
                      onClick: () => onFiles(job.id, "purge"),
                    },
                  {
                    kind: "button",
                    label: "Delete",
                    danger: true,
                    disabled: deleting,
                    confirm: `Delete the prediction for ${file} (${job.user_email ?? "anonymous"})? This is recorded in the audit log.`,
                    onClick: () => onDelete(job.id),
                  },
                ]}
              />
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
