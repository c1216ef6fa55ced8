import { Link } from "react-router";
import { useAdminNodes, useModelTitles } from "../api";
import type { NodeInfo, NodeModel } from "@/api/types";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { StatusBadge } from "@/components/StatusBadge";
import { formatDuration, formatNumber } from "@/lib/format";

/** The machines that run jobs (worker nodes, or this server's own worker processes) and
 * each model's state on each of them, refreshed every 5 s like the models. */
export function NodesSection() {
  const nodes = useAdminNodes();
  const modelTitle = useModelTitles();
  return (
    <section aria-labelledby="admin-nodes-heading">
      <h3 id="admin-nodes-heading">Nodes</h3>
      <p className="hint">The machines that run jobs, and each model as it is on each of them.</p>
      {nodes.isPending && <Loading />}
      {nodes.isError && <ErrorMessage error={nodes.error} onRetry={() => nodes.refetch()} />}
      {nodes.data &&
        (nodes.data.length === 0 ? <p className="muted">No node is running.</p> : <NodesTable nodes={nodes.data} modelTitle={modelTitle} />)}
    </section>
  );
}

/** `modelTitle`: a model's title by its name (the name itself when not given). */
export function NodesTable({ nodes, modelTitle = (name) => name }: { nodes: NodeInfo[]; modelTitle?: (name: string) => string }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Nodes</caption>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Groups</th>
            <th scope="col">Processes</th>
            <th scope="col">Models</th>
            <th scope="col">Running</th>
            <th scope="col" className="num">Jobs done</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((node) => (
            <tr key={node.name}>
              <td data-label="Node">
                <strong>{node.name}</strong>
                <div className="muted small mono">{node.host}</div>
                <div className="muted small">release {node.version}</div>
              </td>
              <td data-label="Groups">{node.groups.join(", ") || "–"}</td>
              <td data-label="Processes">{readyText(node.ready, node.processes)}</td>
              <td data-label="Models">
                <NodeModels models={node.models} modelTitle={modelTitle} />
              </td>
              <td data-label="Running" className="mono">
                <RunningJobs ids={node.running} />
              </td>
              <td data-label="Jobs done" className="num">
                {formatNumber(node.jobs_done)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NodeModels({ models, modelTitle }: { models: NodeModel[]; modelTitle: (name: string) => string }) {
  if (models.length === 0) return <span className="muted">–</span>;
  const sorted = [...models].sort((a, b) => modelTitle(a.name).localeCompare(modelTitle(b.name)));
  return (
    <ul className="plain-list">
      {sorted.map((model) => {
        const facts = modelFacts(model);
        return (
          <li key={model.name}>
            <span className="node-model">{modelTitle(model.name)}</span> <StatusBadge status={model.state} />
            {facts && <div className="small muted">{facts}</div>}
            {model.reason && (
              <div className="small">
                <Reason text={model.reason} />
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function RunningJobs({ ids }: { ids: string[] }) {
  if (ids.length === 0) return <>idle</>;
  return (
    <ul className="plain-list">
      {ids.map((id) => (
        <li key={id}>
          <Link to={paths.prediction.href(id)}>
            {id.slice(0, 8)}…<span className="visually-hidden"> (prediction {id})</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}

/** The reason a model is not loaded, its `commands` set as code. */
function Reason({ text }: { text: string }) {
  return (
    <>
      {codeSpans(text).map((span, i) => (span.code ? <code key={i}>{span.text}</code> : span.text))}
    </>
  );
}

/** "2 of 3 ready": the processes taking jobs, of those alive. */
export function readyText(ready: number, processes: number): string {
  return `${ready} of ${processes} ready`;
}

/** "load time 1.20 s · runtime onnxruntime", or "" when neither is known. */
export function modelFacts(model: Pick<NodeModel, "load_ms" | "runtime">): string {
  const facts: string[] = [];
  if (model.load_ms != null) facts.push(`load time ${formatDuration(model.load_ms)}`);
  if (model.runtime) facts.push(`runtime ${model.runtime}`);
  return facts.join(" · ");
}

/** Splits "run `x` there" into text and the `code` between backticks (an unmatched one is kept). */
export function codeSpans(text: string): { text: string; code: boolean }[] {
  const parts = text.split("`");
  if (parts.length % 2 === 0) return [{ text, code: false }];
  return parts.map((part, i) => ({ text: part, code: i % 2 === 1 })).filter((span) => span.text !== "");
}
