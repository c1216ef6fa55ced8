import { Link, useNavigate, useParams } from "react-router";
import { jobOutcome, useDeletePrediction } from "@/api/predictions";
import { useCancelPrediction, usePrediction } from "../api";
import { useModels } from "@/api/models";
import { isTerminal } from "@/api/types";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { StatusBadge } from "@/components/StatusBadge";
import { usePageTitle } from "@/components/PageTitle";
import { formatDateTime, formatDuration } from "@/lib/format";
import { useJobEvents } from "../hooks/useJobEvents";
import { JobProgress } from "./JobProgress";
import { describeProvenance, provenanceOf } from "../provenance";
import { ResultView } from "./results/ResultView";
import { CompareSection } from "./compare/CompareSection";
import { comparable } from "../compare";
import { ReportResult } from "./ReportResult";
import "./JobPage.css";

export function JobPage() {
  const { id = "" } = useParams();
  const navigate = useNavigate();
  const query = usePrediction(id);
  const events = useJobEvents(id, query.data);
  const models = useModels();
  const cancel = useCancelPrediction();
  const remove = useDeletePrediction();
  const job = events.job ?? query.data;
  const model = models.data?.find((m) => m.name === job?.model);
  const title = job ? (job.inputs.length > 1 ? `${job.inputs.length} files` : (job.inputs[0]?.name ?? "Prediction")) : "Prediction";
  usePageTitle(job ? `${title} (${jobOutcome(job) === "nothing-found" ? "nothing to segment" : job.status})` : "Prediction");

  if (query.isPending) return <Loading label="Loading the prediction…" />;
  if (query.isError || !job) return <ErrorMessage error={query.error} onRetry={() => query.refetch()} />;

  const ended = isTerminal(job.status);
  const provenance = provenanceOf(job.result);
  const onDelete = async () => {
    if (!window.confirm("Delete this prediction and its files? This cannot be undone.")) return;
    try {
      await remove.mutateAsync(job.id);
      navigate(model ? paths.model.href(model.name) : paths.gallery.href());
    } catch {
      /* shown below */
    }
  };

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.gallery.href()}>Models</Link> <span aria-hidden="true">›</span>{" "}
        <Link to={paths.model.href(job.model)}>{model?.title ?? job.model}</Link> <span aria-hidden="true">›</span>{" "}
        <span aria-current="page">Prediction</span>
      </nav>
      <div className="page-intro">
        <h1 className="break">{title}</h1>
        <dl className="meta-row">
          <div>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={jobOutcome(job)} />
            </dd>
          </div>
          <div>
            <dt>Model</dt>
            <dd>
              {model?.title ?? job.model}
              {job.model_version != null && <span className="muted"> · version {job.model_version}</span>}
            </dd>
          </div>
          {provenance && (
            <div>
              <dt>Made with</dt>
              <dd>{describeProvenance(provenance)}</dd>
            </div>
          )}
          <div>
            <dt>Submitted</dt>
            <dd>{formatDateTime(job.timings.created)}</dd>
          </div>
          {ended && (
            <div>
              <dt>Took</dt>
              <dd>
                {formatDuration(job.duration_ms)}
                {job.timings.model_ms ? <span className="muted"> (model {formatDuration(job.timings.model_ms)})</span> : null}
              </dd>
            </div>
          )}
        </dl>
      </div>

      {!ended && (
        <JobProgress
          job={job}
          connection={events.connection}
          onCancel={job.yours ? () => cancel.mutate(job.id) : undefined}
          cancelling={cancel.isPending}
        />
      )}
      {cancel.isError && <ErrorMessage error={cancel.error} />}

      {job.status === "failed" && (
        <div className="alert alert-error" role="alert">
          <p className="alert-title">The model could not finish this job.</p>
          {job.error && <p>{job.error}</p>}
          <p>
            Check the file, or <Link to={paths.model.href(job.model)}>try again with another file</Link>.
          </p>
        </div>
      )}
      {job.status === "cancelled" && (
        <p className="alert alert-warning" role="status">
          This job was cancelled{job.message ? `: ${job.message}` : "."}
        </p>
      )}
      {job.files_expired_at ? (
        <p className="alert alert-warning" role="status">
          Files expired on {formatDateTime(job.files_expired_at)}: the uploaded file and the result files were deleted
          {job.files_purged ? " by an administrator" : " after the retention period"}, so there is nothing left to preview or download.
        </p>
      ) : (
        job.status === "succeeded" && <ResultView job={job} />
      )}
      {comparable(job) && <CompareSection job={job} />}
      {job.status === "succeeded" && job.yours && <ReportResult job={job} model={model} />}

      <div className="button-row page-actions">
        <Link className="button secondary" to={paths.model.href(job.model)}>
          Run {model?.title ?? job.model} on another file
        </Link>
        {job.yours && (
          <button type="button" className="button danger" onClick={onDelete} disabled={remove.isPending}>
            {remove.isPending ? "Deleting…" : "Delete this prediction"}
          </button>
        )}
      </div>
      {job.anonymous && (
        <p className="muted" role="note">
          {job.yours
            ? "Anyone with this page's link can view this prediction. Only this browser can cancel or delete it; sign up or log in to keep it in your history."
            : "You are viewing a prediction shared by its link. Only the browser that made it can cancel or delete it."}
        </p>
      )}
      {remove.isError && <ErrorMessage error={remove.error} />}
    </>
  );
}
