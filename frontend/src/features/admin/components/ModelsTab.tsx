import { Link } from "react-router";
import { useAdminModels, useModelAction, useReloadRegistry, type ModelAction } from "../api";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { ScrollTable } from "@/components/ScrollTable";
import { RowActions } from "@/components/RowActions";
import { Loading } from "@/components/Spinner";
import { StatusBadge } from "@/components/StatusBadge";
import { usePageTitle } from "@/components/PageTitle";
import { countOf, formatDuration } from "@/lib/format";
import { DriftSection } from "./DriftSection";
import { NodesSection } from "./NodesSection";
import { RuntimeCell } from "./RuntimeCell";
import type { ModelCard, WorkerInfo } from "@/api/types";
import "../admin.css";

const ACTIONS: { action: ModelAction; label: string }[] = [
  { action: "load", label: "Load" },
  { action: "unload", label: "Unload" },
  { action: "reload", label: "Reload" },
];

/** Which actions apply to a model in `state`: load what is unloaded, unload what is loaded
 * or loading, reload what is loaded or failed to load (unavailable); nothing for a model
 * disabled in the registry. */
export function actionApplies(action: ModelAction, state: string): boolean {
  switch (action) {
    case "load":
      return state === "unloaded";
    case "unload":
      return state === "loaded" || state === "loading";
    case "reload":
      return state === "loaded" || state === "unavailable";
  }
}

/** The other models of `name`'s worker group, read from the worker processes (a group's
 * processes host all its models). */
export function groupSiblings(name: string, workers: WorkerInfo[]): string[] {
  const groups = new Set(workers.filter((w) => name in w.models).map((w) => w.group));
  const names = new Set(workers.filter((w) => groups.has(w.group)).flatMap((w) => Object.keys(w.models)));
  names.delete(name);
  return [...names].sort();
}

/** "A", "A and B", "A, B and C" */
function listText(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** What the administrator confirms before an unload or a reload, as the executors do it:
 * an unload leaves the group's other models serving (its processes stop only when nothing
 * is left to run); a reload restarts the group's processes, so every model of it loads again. */
export function confirmText(action: ModelAction, model: ModelCard, models: ModelCard[], workers: WorkerInfo[]): string | undefined {
  const title = (name: string) => models.find((m) => m.name === name)?.title ?? name;
  const siblings = groupSiblings(model.name, workers);
  if (action === "unload") {
    const serving = siblings.filter((name) => ["loaded", "loading"].includes(models.find((m) => m.name === name)?.state ?? ""));
    const rest = serving.length
      ? `The other models of its worker group keep serving: ${listText(serving.map(title))}.`
      : "No other model of its worker group is serving, so the group's worker processes stop.";
    return `Unload ${model.title}? Jobs waiting for it will fail. ${rest}`;
  }
  if (action === "reload") {
    const all = [model.name, ...siblings].map(title);
    return siblings.length
      ? `Reload ${model.title}? Its worker group restarts after its current jobs, so ${listText(all)} load again; new jobs for them wait meanwhile.`
      : `Reload ${model.title}? Its worker processes restart after their current job; new jobs for it wait meanwhile.`;
  }
  return undefined;
}

export function ModelsTab() {
  usePageTitle("Models · Administration");
  const data = useAdminModels();
  const act = useModelAction();
  const reload = useReloadRegistry();

  return (
    <section aria-labelledby="admin-models-heading">
      <div className="section-head">
        <h2 id="admin-models-heading">Models</h2>
        <button
          type="button"
          className="button secondary"
          disabled={reload.isPending}
          onClick={() => reload.mutate()}
          aria-describedby="reload-registry-hint"
        >
          {reload.isPending ? "Re-reading…" : "Re-read the registry"}
        </button>
      </div>
      <p id="reload-registry-hint" className="hint">
        Re-reads models.toml: new and changed models are picked up; workers restart after their current job.
      </p>
      {reload.isError && <ErrorMessage error={reload.error} />}
      {reload.isSuccess && (
        <p role="status" className="alert alert-success">
          The registry was re-read.
        </p>
      )}
      {act.isError && <ErrorMessage error={act.error} />}
      {data.isPending && <Loading />}
      {data.isError && <ErrorMessage error={data.error} onRetry={() => data.refetch()} />}
      {data.data && (
        <>
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">Every model of the registry</caption>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">State</th>
                  <th scope="col">Load time</th>
                  <th scope="col">Runtime</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.data.models.map((model) => (
                  <tr key={model.name}>
                    <td data-label="Model">
                      <Link to={paths.model.href(model.name)}>{model.title}</Link>
                    </td>
                    <td data-label="State">
                      <StatusBadge status={model.state} />
                      {model.reason && <div className="small muted">{model.reason}</div>}
                    </td>
                    <td data-label="Load time">{formatDuration(model.load_ms)}</td>
                    <td data-label="Runtime">
                      <RuntimeCell runtime={model.runtime} state={model.state} />
                    </td>
                    <RowActions
                      subject={model.title}
                      actions={ACTIONS.map(({ action, label }) => ({
                        kind: "button",
                        look: "button",
                        label,
                        disabled: act.isPending || !actionApplies(action, model.state),
                        confirm: confirmText(action, model, data.data.models, data.data.workers),
                        onClick: () => act.mutate({ name: model.name, action }),
                      }))}
                    />
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          <DriftSection models={data.data.models} />

          <NodesSection />

          <h3>Worker nodes and processes</h3>
          <p className="muted">{nodesLine(data.data.workers)}</p>
          <ScrollTable captionId="worker-processes-caption">
            <table className="table">
              <caption id="worker-processes-caption" className="visually-hidden">
                Worker processes
              </caption>
              <thead>
                <tr>
                  <th scope="col">Node</th>
                  <th scope="col">Worker</th>
                  <th scope="col">Group</th>
                  <th scope="col" className="num">PID</th>
                  <th scope="col">Alive</th>
                  <th scope="col">Models</th>
                  <th scope="col">Current job</th>
                  <th scope="col" className="num">Jobs done</th>
                  <th scope="col" className="num">Restarts</th>
                </tr>
              </thead>
              <tbody>
                {data.data.workers.map((worker) => (
                  <tr key={`${worker.node}/${worker.name}`}>
                    <td>{worker.node}</td>
                    <td className="mono">{worker.name}</td>
                    <td>{worker.group}</td>
                    <td className="num">{worker.pid ?? "–"}</td>
                    <td>{worker.alive ? "yes" : <strong className="text-error">no</strong>}</td>
                    <td>{modelsText(worker.models, data.data.models)}</td>
                    <td className="mono">{worker.job_id ? <Link to={paths.prediction.href(worker.job_id)}>{worker.job_id.slice(0, 8)}…</Link> : "idle"}</td>
                    <td className="num">{worker.jobs_done}</td>
                    <td className="num">{worker.restarts}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>

          <h3>Queues</h3>
          {Object.keys(data.data.queues).length === 0 ? (
            <p className="muted">No queues.</p>
          ) : (
            <dl className="summary-list">
              {Object.entries(data.data.queues).map(([group, depth]) => (
                <div key={group}>
                  <dt>{group}</dt>
                  <dd>
                    {depth} waiting
                  </dd>
                </div>
              ))}
            </dl>
          )}
        </>
      )}
    </section>
  );
}

/** "2 nodes: gpu-1 (2 processes), vm-a (1 process)" */
export function nodesLine(workers: WorkerInfo[]): string {
  const counts = new Map<string, number>();
  for (const worker of workers) counts.set(worker.node, (counts.get(worker.node) ?? 0) + 1);
  if (counts.size === 0) return "No worker process is running.";
  const parts = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([node, n]) => `${node} (${countOf(n, "process", "processes")})`);
  return `${countOf(counts.size, "node")}: ${parts.join(", ")}`;
}

/** A process's models by their titles, with the state of those not loaded. */
export function modelsText(models: Record<string, string>, cards: Pick<ModelCard, "name" | "title">[] = []): string {
  const entries = Object.entries(models);
  if (entries.length === 0) return "–";
  const title = (name: string) => cards.find((m) => m.name === name)?.title ?? name;
  return entries.map(([name, status]) => (status === "loaded" ? title(name) : `${title(name)} (${status})`)).join(", ");
}
