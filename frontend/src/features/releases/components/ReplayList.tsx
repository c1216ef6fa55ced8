import { useId } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "@/components/ErrorMessage";
import { ProgressBar } from "@/components/ProgressBar";
import { paths } from "@/config/paths";
import { formatDateTime } from "@/lib/format";
import { useCancelReplay } from "../api";
import { filtersText, replayCounts, replayProgress, REPLAY_STATES } from "../describe";
import type { ManagedModel, Replay } from "../types";
import { StateBadge } from "./Notice";

/** The model's replays, newest first: each with its progress (read again while it runs),
 * cancel while it runs, and its comparison. */
export function ReplayList({ model, replays }: { model: ManagedModel; replays: Replay[] }) {
  const headingId = useId();
  const cancel = useCancelReplay(model.id);
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h3 id={headingId}>Replays</h3>
      {replays.length === 0 ? (
        <p className="muted">No replay yet.</p>
      ) : (
        <ol className="replay-list">
          {replays.map((replay) => (
            <ReplayItem
              key={replay.id}
              model={model}
              replay={replay}
              cancelling={cancel.isPending && cancel.variables === replay.id}
              onCancel={() => cancel.mutate(replay.id)}
            />
          ))}
        </ol>
      )}
      {cancel.isError && <ErrorMessage error={cancel.error} />}
    </section>
  );
}

interface ItemProps {
  model: ManagedModel;
  replay: Replay;
  cancelling: boolean;
  onCancel: () => void;
}

function ReplayItem({ model, replay, cancelling, onCancel }: ItemProps) {
  const headingId = useId();
  const { fraction } = replayProgress(replay);
  const subject = `the replay on version ${replay.version_number}`;
  return (
    <li className="replay-item">
      <article aria-labelledby={headingId}>
        <div className="replay-head">
          <h4 id={headingId}>
            Version {replay.version_number}: {replay.chosen} predictions
          </h4>
          <StateBadge state={replay.state} text={REPLAY_STATES[replay.state]} />
        </div>
        <p className="muted small">
          {filtersText(replay, model.versions)} · started {formatDateTime(replay.created_at)}
          {replay.created_by && ` by ${replay.created_by}`}
        </p>
        <ProgressBar value={fraction} label={`Progress of ${subject}`} />
        <p className="replay-counts" aria-live="polite">
          {replayCounts(replay)}
        </p>
        <div className="button-row">
          <Link className="button small secondary" to={paths.admin.replayComparison.href(model.id, replay.id)}>
            Compare{" "}<span className="visually-hidden">{subject}</span> with the live version
          </Link>
          {replay.state === "running" && (
            <button type="button" className="button small danger" disabled={cancelling} onClick={onCancel}>
              Cancel{" "}<span className="visually-hidden">{subject}</span>
            </button>
          )}
        </div>
      </article>
    </li>
  );
}
