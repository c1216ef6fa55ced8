import { useState, type ReactNode } from "react";
import { formatBytes, formatDateTime, formatDuration } from "@/lib/format";
import { candidateText, classesText, exampleText, runtimeReason, shortSha, validationFacts } from "../describe";
import type { ManagedModel, ModelVersion } from "../types";
import { EditVersionForm } from "./EditVersionForm";
import { VersionBadge } from "./VersionBadge";

export type VersionRequest = "live" | "retire" | "delete";

interface Props {
  model: ManagedModel;
  version: ModelVersion;
  busy: boolean;
  onAction: (action: VersionRequest) => void;
  /** the refusal or error of this version's last action, already rendered */
  problem?: ReactNode;
  onEdited: () => void;
}

/** One version: its state (and why it failed), its files, what its check measured and found,
 * and what can be done with it. */
export function VersionItem({ model, version, busy, onAction, problem, onEdited }: Props) {
  const [editing, setEditing] = useState(false);
  const facts = validationFacts(version.validation);
  const found = exampleText(facts?.example ?? null);
  const classes = classesText(facts?.classes ?? null);
  const headingId = `version-${version.id}`;
  const subject = `version ${version.number} of ${model.title}`;
  const canGoLive = version.state === "ready" || version.state === "retired";
  const canRetire = version.state === "ready";
  const canDelete = version.state !== "live";

  return (
    <li className={`catalog-version catalog-version-${version.state}`}>
      <article aria-labelledby={headingId}>
        <div className="catalog-version-head">
          <h4 id={headingId}>Version {version.number}</h4>
          <VersionBadge state={version.state} />
        </div>
        {version.state === "failed" && (
          <p className="catalog-reason">
            <strong>Why it failed: </strong>
            {version.reason || "no reason was given."}
          </p>
        )}
        {version.state === "validating" && (
          <p className="muted small" role="status">
            The server is loading the model and trying it; this takes seconds to a minute.
          </p>
        )}
        <dl className="facts catalog-facts">
          <div>
            <dt>Weights</dt>
            <dd>
              <ul className="plain-list">
                {version.weights.map((weight) => (
                  <li key={weight.file}>
                    <span className="mono break">{weight.file}</span>
                    <span className="muted small">
                      {" "}
                      · {formatBytes(weight.size)} · sha256 <span className="mono">{shortSha(weight.sha256)}</span>
                    </span>
                  </li>
                ))}
              </ul>
            </dd>
          </div>
          {(version.runtime || facts) && (
            <div>
              <dt>Runtime</dt>
              <dd>
                {facts ? runtimeReason(facts.runtime) : `${version.runtime} (asked for; not checked yet)`}
                {facts?.runtime && facts.runtime.candidates.length > 1 && (
                  <ul className="plain-list small muted">
                    {facts.runtime.candidates.map((candidate) => (
                      <li key={candidate.name}>{candidateText(candidate)}</li>
                    ))}
                  </ul>
                )}
              </dd>
            </div>
          )}
          {facts && (
            <div>
              <dt>Load time</dt>
              <dd>
                {formatDuration(facts.loadMs)}
                {facts.warmupMs !== null && <span className="muted small"> (then {formatDuration(facts.warmupMs)} to warm up)</span>}
              </dd>
            </div>
          )}
          <div>
            <dt>Example</dt>
            <dd>
              {!version.has_example
                ? "None was given."
                : facts
                  ? `${found ?? "Tried."}${facts.latencyMs !== null ? ` It took ${formatDuration(facts.latencyMs)}.` : ""}`
                  : version.state === "failed"
                    ? "Not tried."
                    : "Not tried yet."}
            </dd>
          </div>
          {classes && (
            <div>
              <dt>Classes</dt>
              <dd>{classes}</dd>
            </div>
          )}
          {version.note && (
            <div>
              <dt>Note</dt>
              <dd className="pre-wrap">{version.note}</dd>
            </div>
          )}
          <div>
            <dt>Added</dt>
            <dd>
              {formatDateTime(version.created_at)}
              {version.created_by ? ` by ${version.created_by}` : " from models.toml"}
              {version.validated_at && <span className="muted small"> · checked {formatDateTime(version.validated_at)}</span>}
            </dd>
          </div>
        </dl>
        {problem}
        <div className="button-row catalog-actions">
          {canGoLive && (
            <button
              type="button"
              className="button small primary"
              disabled={busy}
              onClick={() => {
                if (window.confirm(`Make version ${version.number} of ${model.title} live? New predictions will use it.`)) onAction("live");
              }}
            >
              Make live{" "}<span className="visually-hidden">{subject}</span>
            </button>
          )}
          {canRetire && (
            <button type="button" className="button small secondary" disabled={busy} onClick={() => onAction("retire")}>
              Retire{" "}<span className="visually-hidden">{subject}</span>
            </button>
          )}
          <button
            type="button"
            className="button small secondary"
            disabled={busy || editing}
            aria-expanded={editing}
            onClick={() => setEditing(true)}
          >
            Edit{" "}<span className="visually-hidden">{subject}</span>
          </button>
          {canDelete && (
            <button
              type="button"
              className="button small danger"
              disabled={busy}
              onClick={() => {
                if (window.confirm(`Delete version ${version.number} of ${model.title}? Its record and example go; this cannot be undone.`))
                  onAction("delete");
              }}
            >
              Delete{" "}<span className="visually-hidden">{subject}</span>
            </button>
          )}
        </div>
        {version.state === "live" && (
          <p className="hint">The live version cannot be retired or deleted: make another version live first.</p>
        )}
        {editing && (
          <EditVersionForm
            model={model}
            version={version}
            onDone={(saved) => {
              setEditing(false);
              if (saved) onEdited();
            }}
          />
        )}
      </article>
    </li>
  );
}
