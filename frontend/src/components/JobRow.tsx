// One prediction as a table row, the same wherever predictions are listed (the history, the
// administrators' table): file, model, date, status, duration, and the caller's actions.
import { Fragment, type ReactNode } from "react";
import { Link } from "react-router";
import { downloadUrl, jobOutcome, mainOutput, nothingFoundReason } from "@/api/predictions";
import type { Job } from "@/api/types";
import { paths } from "@/config/paths";
import { formatDateTime, formatDuration } from "@/lib/format";
import { FileName } from "./FileName";
import { RowActions, type RowAction } from "./RowActions";
import { StatusBadge } from "./StatusBadge";

export type JobColumn = "user" | "file" | "model" | "created" | "status" | "duration";

/** The column headers, so that every table of predictions names them alike. */
export const JOB_COLUMN_LABELS: Record<JobColumn, string> = {
  user: "User",
  file: "File",
  model: "Model",
  created: "Date and time",
  status: "Status",
  duration: "Duration",
};

/** "bus.jpg", or "bus.jpg and 2 more" for several files. */
export function jobFileLabel(job: Pick<Job, "inputs">): string {
  const [first] = job.inputs;
  if (!first) return "–";
  return job.inputs.length > 1 ? `${first.name} and ${job.inputs.length - 1} more` : first.name;
}

/** Open the job's page, and download its main output (the API's `main_output`) while its
 * files are kept. */
export function jobLinks(job: Job, openLabel = "Open"): RowAction[] {
  const main = mainOutput(job);
  const open: RowAction = { kind: "route", label: openLabel, to: paths.prediction.href(job.id) };
  return main ? [open, { kind: "link", label: "Download", href: downloadUrl(main.url), download: true }] : [open];
}

interface Props {
  job: Job;
  /** the cells, in order (the actions come last) */
  columns: readonly JobColumn[];
  /** what the model column shows; the model's name when not given */
  modelTitle?: (name: string) => string;
  actions: (RowAction | null | false | undefined)[];
}

export function JobRow({ job, columns, modelTitle, actions }: Props) {
  const file = jobFileLabel(job);
  const expired = Boolean(job.files_expired_at);
  const cells: Record<JobColumn, () => ReactNode> = {
    user: () => (
      <td data-label="User" className="break">
        {job.user_email ?? <span className="muted">anonymous</span>}
      </td>
    ),
    file: () => (
      <td data-label="File">
        <Link to={paths.prediction.href(job.id)}>
          <FileName name={file} />
        </Link>
      </td>
    ),
    model: () => (
      <td data-label="Model">
        {modelTitle ? modelTitle(job.model) : job.model}
        {job.model_version != null && <span className="muted"> v{job.model_version}</span>}
      </td>
    ),
    created: () => <td data-label="Date">{formatDateTime(job.timings.created)}</td>,
    status: () => (
      <td data-label="Status">
        <StatusBadge status={jobOutcome(job)} />
        {nothingFoundReason(job) && <span className="visually-hidden">: {nothingFoundReason(job)}</span>}
        {job.error && <span className="visually-hidden">: {job.error}</span>}
        {expired && <span className="muted"> files expired</span>}
        {job.pinned && !expired && <span className="muted"> pinned</span>}
      </td>
    ),
    duration: () => <td data-label="Duration">{formatDuration(job.duration_ms)}</td>,
  };
  return (
    <tr>
      {columns.map((column) => (
        <Fragment key={column}>{cells[column]()}</Fragment>
      ))}
      <RowActions subject={file} actions={actions} />
    </tr>
  );
}
