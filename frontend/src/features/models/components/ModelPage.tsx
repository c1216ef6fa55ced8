import { Link, useParams } from "react-router";
import { useModel } from "@/api/models";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { StatusBadge } from "@/components/StatusBadge";
import { usePageTitle } from "@/components/PageTitle";
import { taskLabel } from "@/lib/format";
import { AboutModel } from "./AboutModel";
import { UploadForm } from "./UploadForm";
import "../models.css";

const OUTPUT_ROLE: Record<string, string> = {
  annotated: "annotated file",
  mask: "mask",
  preview: "preview image",
  data: "data",
  archive: "archive of everything",
};

export function ModelPage() {
  const { name = "" } = useParams();
  const model = useModel(name);
  usePageTitle(model.data?.title ?? "Model");

  if (model.isPending) return <Loading label="Loading the model…" />;
  if (model.isError) return <ErrorMessage error={model.error} onRetry={() => model.refetch()} />;
  const card = model.data;
  const outputs = card.outputs;
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.gallery.href()}>Models</Link> <span aria-hidden="true">›</span> <span aria-current="page">{card.title}</span>
      </nav>
      <div className="page-intro">
        <h1>{card.title}</h1>
        <p className="muted">
          {taskLabel(card.task)} · <StatusBadge status={card.state} />
        </p>
        {card.description && <p className="lead">{card.description}</p>}
      </div>
      <div className="two-columns">
        <UploadForm key={card.name} model={card} />
        {outputs.length > 0 && (
          <aside className="panel" aria-labelledby="outputs-heading">
            <h2 id="outputs-heading">What you get</h2>
            <ul className="plain-list">
              {outputs.map((output) => (
                <li key={output.name}>
                  <span className="mono">{output.name}</span> — {OUTPUT_ROLE[output.role] ?? output.role}
                  {output.when ? <span className="muted"> (for {output.when} uploads)</span> : null}
                </li>
              ))}
            </ul>
          </aside>
        )}
      </div>
      <AboutModel about={card.card} classes={card.classes} />
    </>
  );
}
