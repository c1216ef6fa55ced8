import { useState } from "react";
import { Link } from "react-router";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { countOf } from "@/lib/format";
import { useDeleteModel, useVersionAction, type VersionAction } from "../api";
import { liveVersion } from "../describe";
import type { ManagedModel } from "../types";
import { EditModelForm } from "./EditModelForm";
import { VersionForm } from "./VersionForm";
import { VersionItem } from "./VersionItem";

interface Props {
  model: ManagedModel;
  expanded: boolean;
  onToggle: () => void;
}

const DONE: Record<VersionAction, string> = {
  live: "is live: new predictions use it",
  retire: "is retired",
  delete: "was deleted",
};

/** A model with its facts and badges; opened, its versions, what can be done with it and the
 * "Add a version" form. */
export function ModelItem({ model, expanded, onToggle }: Props) {
  const act = useVersionAction(model.id);
  const remove = useDeleteModel(model.id);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const live = liveVersion(model);
  const checking = model.versions.filter((v) => v.state === "validating").length;
  const failed = model.versions.filter((v) => v.state === "failed").length;
  const versions = [...model.versions].sort((a, b) => b.number - a.number);
  const panelId = `model-${model.id}-versions`;
  const headingId = `model-${model.id}`;

  const runAction = (id: string, number: number, action: VersionAction) => {
    setNotice(null);
    act.mutate({ id, action }, { onSuccess: () => setNotice(`Version ${number} ${DONE[action]}.`) });
  };

  return (
    <li className="panel catalog-model">
      <article aria-labelledby={headingId}>
        <div className="catalog-model-head">
          <h3 id={headingId} className="catalog-model-title">
            <button type="button" className="catalog-toggle" aria-expanded={expanded} aria-controls={panelId} onClick={onToggle}>
              <span className="catalog-chevron" aria-hidden="true" />
              {model.title}
            </button>
          </h3>
          <ul className="catalog-badges" aria-label={`State of ${model.title}`}>
            {live ? <li className="catalog-badge catalog-badge-live">Live: version {live.number}</li> : <li className="catalog-badge catalog-badge-none">No live version</li>}
            {!model.enabled && <li className="catalog-badge catalog-badge-disabled">Disabled</li>}
            {checking > 0 && <li className="catalog-badge catalog-badge-validating">{countOf(checking, "version")} being checked</li>}
            {failed > 0 && <li className="catalog-badge catalog-badge-failed">{countOf(failed, "failed version")}</li>}
            {model.from_file && <li className="catalog-badge catalog-badge-file">From models.toml</li>}
          </ul>
        </div>
        <dl className="summary-list catalog-summary">
          <div>
            <dt>Name</dt>
            <dd className="mono">{model.id}</dd>
          </div>
          <div>
            <dt>Task</dt>
            <dd>{model.task}</dd>
          </div>
          <div>
            <dt>Family</dt>
            <dd className="break">{model.family}</dd>
          </div>
          <div>
            <dt>Worker group</dt>
            <dd>{model.group}</dd>
          </div>
          <div>
            <dt>Live version</dt>
            <dd>{live ? live.number : "none"}</dd>
          </div>
          <div>
            <dt>Versions</dt>
            <dd>{model.versions.length}</dd>
          </div>
        </dl>
        {model.description && <p className="catalog-description">{model.description}</p>}

        <div id={panelId} hidden={!expanded}>
          {expanded && (
            <>
              <div className="button-row catalog-actions">
                <button type="button" className="button small secondary" aria-expanded={adding} onClick={() => setAdding(true)} disabled={adding}>
                  Add a version{" "}<span className="visually-hidden">of {model.title}</span>
                </button>
                <button type="button" className="button small secondary" aria-expanded={editing} onClick={() => setEditing(true)} disabled={editing}>
                  Edit the model{" "}<span className="visually-hidden">{model.title}</span>
                </button>
                <Link className="button small secondary" to={paths.admin.releases.href(model.id)}>
                  Releases and replays{" "}<span className="visually-hidden">of {model.title}</span>
                </Link>
                {!model.from_file && (
                  <button
                    type="button"
                    className="button small danger"
                    disabled={remove.isPending}
                    onClick={() => {
                      if (window.confirm(`Delete ${model.title} (${model.id}) and all its versions? This cannot be undone.`)) remove.mutate();
                    }}
                  >
                    Delete the model{" "}<span className="visually-hidden">{model.title}</span>
                  </button>
                )}
              </div>
              {model.from_file && (
                <p className="hint">This model comes from models.toml: remove it there and re-read the registry, or disable it here.</p>
              )}
              {remove.isError && <ErrorMessage error={remove.error} />}
              {notice && (
                <p role="status" className="alert alert-success">
                  {notice}
                </p>
              )}
              {editing && (
                <EditModelForm
                  model={model}
                  onDone={(saved) => {
                    setEditing(false);
                    if (saved) setNotice("The model was saved.");
                  }}
                />
              )}
              {adding && (
                <VersionForm
                  model={model}
                  onAdded={(version) => {
                    setAdding(false);
                    setNotice(`Version ${version.number} was uploaded and is being checked.`);
                  }}
                  onCancel={() => setAdding(false)}
                />
              )}
              {versions.length === 0 ? (
                <p className="muted">No version yet: add one with its weights.</p>
              ) : (
                <ol className="catalog-versions" aria-label={`Versions of ${model.title}`}>
                  {versions.map((version) => (
                    <VersionItem
                      key={version.id}
                      model={model}
                      version={version}
                      busy={act.isPending}
                      onAction={(action) => runAction(version.id, version.number, action)}
                      problem={act.isError && act.variables?.id === version.id ? <ErrorMessage error={act.error} /> : null}
                      onEdited={() => setNotice(`Version ${version.number} was saved.`)}
                    />
                  ))}
                </ol>
              )}
            </>
          )}
        </div>
      </article>
    </li>
  );
}
