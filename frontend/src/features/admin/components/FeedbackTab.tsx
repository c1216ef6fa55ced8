import { useId, useState } from "react";
import { Link } from "react-router";
import { useAdminModels } from "../api";
import { exportHref, useAdminFeedback, useSetFlagState } from "../feedbackApi";
import { describeCorrection, describeTarget, FORMATS, formatsFor } from "../feedback";
import type { FlagListItem, FlagState } from "@/api/types";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Pagination } from "@/components/Pagination";
import { Loading } from "@/components/Spinner";
import { usePageTitle } from "@/components/PageTitle";
import { formatDateTime } from "@/lib/format";
import { ModelPicker } from "./ModelPicker";
import "../admin.css";
import "../feedback.css";

const LIMIT = 50;
const STATES: { value: FlagState | ""; label: string }[] = [
  { value: "open", label: "Open" },
  { value: "resolved", label: "Resolved" },
  { value: "dismissed", label: "Dismissed" },
  { value: "", label: "Every state" },
];

/** Results users reported as wrong, with their corrections, and a model's flagged set to
 * download as a dataset in each format its results fit. */
export function FeedbackTab() {
  usePageTitle("Feedback · Administration");
  const id = useId();
  const [model, setModel] = useState("");
  const [state, setState] = useState<FlagState | "">("open");
  const [offset, setOffset] = useState(0);
  const models = useAdminModels();
  const feedback = useAdminFeedback({ model: model || undefined, state: state || undefined, offset, limit: LIMIT });
  const chosen = models.data?.models.find((m) => m.name === model);
  const title = (name: string) => models.data?.models.find((m) => m.name === name)?.title ?? name;
  const fitting = formatsFor(chosen);

  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Feedback</h2>
      <p>Results users reported as wrong. Export a model's reports as a dataset to train its next version on.</p>
      <div className="filters">
        <ModelPicker
          id={`${id}-model`}
          value={model}
          models={models.data?.models ?? []}
          anyLabel="All models"
          onChange={(name) => {
            setModel(name);
            setOffset(0);
          }}
        />
        <div className="field">
          <label htmlFor={`${id}-state`}>State</label>
          <select
            id={`${id}-state`}
            value={state}
            onChange={(e) => {
              setState(e.target.value as FlagState | "");
              setOffset(0);
            }}
          >
            {STATES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      {chosen ? (
        <div className="feedback-export" role="group" aria-labelledby={`${id}-export`}>
          <p id={`${id}-export`}>
            Download the {state || "reported"} results of {chosen.title} as a dataset (ZIP; a README inside says where each label came from):
          </p>
          {fitting.length ? (
            <div className="button-row">
              {FORMATS.filter((f) => fitting.includes(f.format)).map((f) => (
                <a key={f.format} className="button secondary" href={exportHref(chosen.name, f.format, state || "all")} download>
                  {f.label}
                </a>
              ))}
            </div>
          ) : (
            <p className="muted">This model's results have no dataset format: read the reports' notes below.</p>
          )}
        </div>
      ) : (
        <p className="muted">Choose a model to export its reports as a dataset.</p>
      )}
      {feedback.isPending && <Loading />}
      {feedback.isError && <ErrorMessage error={feedback.error} onRetry={() => feedback.refetch()} />}
      {feedback.data && feedback.data.count === 0 && <p>No reports{state ? ` in the state ${state}` : ""}.</p>}
      {feedback.data && feedback.data.data.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">Reported results, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Result</th>
                  <th scope="col">Model</th>
                  <th scope="col">Report</th>
                  <th scope="col">By</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {feedback.data.data.map((flag) => (
                  <FlagRow key={flag.id} flag={flag} modelTitle={title(flag.model)} />
                ))}
              </tbody>
            </table>
          </div>
          <Pagination offset={offset} limit={LIMIT} count={feedback.data.count} onChange={setOffset} />
        </>
      )}
    </section>
  );
}

function FlagRow({ flag, modelTitle }: { flag: FlagListItem; modelTitle: string }) {
  const change = useSetFlagState();
  const job = flag.job;
  const name = job?.input_name ?? "a prediction";
  return (
    <tr>
      <td data-label="Result" className="feedback-result">
        {job ? (
          <Link to={paths.prediction.href(flag.job_id)}>
            {job.thumbnail && <img src={job.thumbnail} alt="" loading="lazy" className="feedback-thumb" />}
            <span className="break">{name}</span>
          </Link>
        ) : (
          <span className="muted">Deleted</span>
        )}
        {job?.files_expired && <span className="muted small"> (files expired: not exported)</span>}
      </td>
      <td data-label="Model">
        {modelTitle}
        {flag.model_version != null && <span className="muted"> · version {flag.model_version}</span>}
      </td>
      <td data-label="Report">
        <span className="small muted">{describeTarget(flag)}</span>
        <br />
        {describeCorrection(flag)}
        {flag.note && <blockquote className="feedback-note">{flag.note}</blockquote>}
      </td>
      <td data-label="By" className="break">
        {flag.user_email ?? "An anonymous visitor"}
        <br />
        <span className="small muted">{formatDateTime(flag.created_at)}</span>
      </td>
      <td data-label="State">
        <span>{flag.state}</span>
        <div className="button-row">
          {(["resolved", "dismissed", "open"] as const)
            .filter((s) => s !== flag.state)
            .map((s) => (
              <button
                key={s}
                type="button"
                className="button secondary small"
                disabled={change.isPending}
                onClick={() => change.mutate({ id: flag.id, state: s })}
                aria-label={`${ACTIONS[s]}: the report on ${name}`}
              >
                {ACTIONS[s]}
              </button>
            ))}
        </div>
        {change.isError && <ErrorMessage error={change.error} />}
      </td>
    </tr>
  );
}

const ACTIONS: Record<FlagState, string> = { resolved: "Resolve", dismissed: "Dismiss", open: "Reopen" };
