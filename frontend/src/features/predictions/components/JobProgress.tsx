import { isTerminal, type Job } from "@/api/types";
import { ProgressBar } from "@/components/ProgressBar";
import { StatusBadge } from "@/components/StatusBadge";
import { formatPercent } from "@/lib/format";
import { progressView, type Connection } from "../hooks/jobEvents";
import "./JobProgress.css";

interface Props {
  job: Job;
  connection: Connection;
  onCancel?: () => void;
  cancelling?: boolean;
}

/** A running job: its status, a progress bar, the model's message, and a cancel button. */
export function JobProgress({ job, connection, onCancel, cancelling }: Props) {
  const { label } = progressView(job);
  const running = !isTerminal(job.status);
  return (
    <section className="job-progress" aria-labelledby="job-progress-heading">
      <h2 id="job-progress-heading" className="visually-hidden">
        Progress
      </h2>
      <div className="job-progress-row">
        <StatusBadge status={job.status} />
        {running && <span className="muted">{formatPercent(job.progress)}</span>}
      </div>
      {running && <ProgressBar value={job.status === "queued" ? null : job.progress} label="Job progress" />}
      <p className="job-message" role="status" aria-live="polite">
        {label}
      </p>
      {running && connection === "reconnecting" && <p className="muted">The connection dropped; reconnecting…</p>}
      {running && connection === "failed" && <p className="muted">Live updates are not available; checking every few seconds.</p>}
      {running && onCancel && (
        <button type="button" className="button secondary" onClick={onCancel} disabled={cancelling}>
          {cancelling ? "Cancelling…" : "Cancel this job"}
        </button>
      )}
    </section>
  );
}
