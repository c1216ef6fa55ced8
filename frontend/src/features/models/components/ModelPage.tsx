import { Link, useParams } from "react-router";
import { useModel } from "@/api/models";
import type { Output } from "@/api/types";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { StatusBadge } from "@/components/StatusBadge";
import { usePageTitle } from "@/components/PageTitle";
import { taskSubtitle } from "@/lib/format";
import { AboutModel } from "./AboutModel";
import { UploadForm } from "./UploadForm";
import "../models.css";

// Said of an output the model does not describe itself.
const OUTPUT_ROLE: Record<string, string> = {
  annotated: "The file with the results drawn on it",
  mask: "A mask of what was found",
  preview: "A preview picture",
  data: "The results as data",
  archive: "Every file in one archive",
};

const UPLOADS: Record<string, string> = {
  image: "an image",
  zip: "several images or a ZIP archive",
  video: "a video",
  nifti: "a volume",
};

/** What an output holds, in words; its file name only where it is a name, not a pattern
 * such as "{NNN}-{file}.jpg". */
export function outputText(output: Output): { text: string; file: string | null; when: string | null } {
  const when = output.when ? `For ${UPLOADS[output.when] ?? `${output.when} uploads`}` : null;
  return {
    text: output.description || OUTPUT_ROLE[output.role] || output.role,
    file: output.name.includes("{") ? null : output.name,
    when,
  };
}

export function ModelPage() {
  const { name = "" } = useParams();
  const model = useModel(name);
  usePageTitle(model.data?.title ?? "Model");

  if (model.isPending) return <Loading label="Loading the model…" />;
  if (model.isError) return <ErrorMessage error={model.error} onRetry={() => model.refetch()} />;
  const card = model.data;
  const outputs = card.outputs;
  const subtitle = taskSubtitle(card.task, card.title);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.gallery.href()}>Models</Link> <span aria-hidden="true">›</span> <span aria-current="page">{card.title}</span>
      </nav>
      <div className="page-intro">
        <h1>{card.title}</h1>
        <p className="muted">
          {subtitle && <>{subtitle} · </>}
          <StatusBadge status={card.state} />
        </p>
        {card.description && <p className="lead">{card.description}</p>}
      </div>
      <div className="two-columns">
        <UploadForm key={card.name} model={card} />
        {outputs.length > 0 && (
          <aside className="panel" aria-labelledby="outputs-heading">
            <h2 id="outputs-heading">What you get</h2>
            <ul className="plain-list">
              {outputs.map((output) => {
                const { text, file, when } = outputText(output);
                return (
                  <li key={output.name}>
                    {text}
                    {file && <span className="muted"> ({file})</span>}
                    {when && <div className="muted small">{when}</div>}
                  </li>
                );
              })}
            </ul>
          </aside>
        )}
      </div>
      <AboutModel about={card.card} classes={card.classes} />
    </>
  );
}
