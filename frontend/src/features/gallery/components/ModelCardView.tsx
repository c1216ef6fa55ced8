import { Link } from "react-router";
import type { ModelCard } from "@/api/types";
import { paths } from "@/config/paths";
import { StatusBadge } from "@/components/StatusBadge";
import { formatMegabytes, taskSubtitle } from "@/lib/format";
import { TaskIcon } from "./TaskIcon";
import "../gallery.css";

export function ModelCardView({ model }: { model: ModelCard }) {
  const headingId = `model-${model.name}`;
  const subtitle = taskSubtitle(model.task, model.title);
  return (
    <li className="card model-card">
      <article aria-labelledby={headingId}>
        <div className="model-card-top">
          <TaskIcon task={model.task} />
          <StatusBadge status={model.state} />
        </div>
        <h2 id={headingId} className="model-card-title">
          <Link to={paths.model.href(model.name)} className="stretched-link">
            {model.title}
          </Link>
        </h2>
        {subtitle && <p className="muted small">{subtitle}</p>}
        {model.description && <p>{model.description}</p>}
        <p className="small">
          Takes {model.takes}, up to {formatMegabytes(model.max_upload_bytes)}.
        </p>
        {model.state !== "loaded" && model.reason && <p className="small muted">{model.reason}</p>}
      </article>
    </li>
  );
}
