import { useId, useState, type FormEvent } from "react";
import { ErrorMessage } from "@/components/ErrorMessage";
import { TextField } from "@/components/TextField";
import { useStartReplay } from "../api";
import { checkReplay, EMPTY_REPLAY, MAX_REPLAY, type Problems, type ReplayDraft, type ReplayField } from "../forms";
import { releasable, runnable, versionLabel } from "../describe";
import type { ManagedModel, Replay } from "../types";
import { focusFirstProblem } from "./focus";

const ORDER = ["version", "since", "until", "limit"] as const;

interface Props {
  model: ManagedModel;
  onStarted: (replay: Replay) => void;
}

/** "Replay": past predictions of the model, chosen with the filters of the predictions list,
 * run again on a version in the background. */
export function ReplayForm({ model, onStarted }: Props) {
  const id = useId();
  const headingId = `${id}-heading`;
  const start = useStartReplay(model.id);
  const versions = runnable(model);
  const [draft, setDraft] = useState<ReplayDraft>({ ...EMPTY_REPLAY, version: releasable(model)[0]?.id ?? "" });
  const [problems, setProblems] = useState<Problems<ReplayField>>({});
  const set = (change: Partial<ReplayDraft>) => setDraft({ ...draft, ...change });

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const checked = checkReplay(draft);
    setProblems(checked.problems ?? {});
    if (checked.problems) {
      focusFirstProblem(id, ORDER, checked.problems);
      return;
    }
    start.mutateAsync(checked.body).then(onStarted, () => undefined);
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h3 id={headingId}>Replay past predictions</h3>
      <p className="hint">
        Runs finished predictions of {model.title} whose files are still kept again on a version, newest first, behind every live
        job. Nobody sees the results; compare them with the live version&rsquo;s.
      </p>
      <form className="filters replay-form" onSubmit={onSubmit} noValidate aria-labelledby={headingId}>
        <div className="field">
          <label htmlFor={`${id}-version`}>Run them on</label>
          <select
            id={`${id}-version`}
            value={draft.version}
            onChange={(event) => set({ version: event.target.value })}
            aria-invalid={problems.version ? true : undefined}
            aria-describedby={problems.version ? `${id}-version-error` : undefined}
          >
            <option value="">Choose a version</option>
            {versions.map((version) => (
              <option key={version.id} value={version.id}>
                {versionLabel(version)}
              </option>
            ))}
          </select>
          {problems.version && (
            <p id={`${id}-version-error`} className="field-error">
              {problems.version}
            </p>
          )}
        </div>
        <TextField id={`${id}-user`} label="User e-mail contains" type="search" value={draft.user} onChange={(user) => set({ user })} />
        <TextField id={`${id}-name`} label="File name contains" type="search" value={draft.name} onChange={(name) => set({ name })} />
        <div className="field">
          <label htmlFor={`${id}-source`}>Made by</label>
          <select id={`${id}-source`} value={draft.sourceVersion} onChange={(event) => set({ sourceVersion: event.target.value })}>
            <option value="">Any version</option>
            {model.versions.map((version) => (
              <option key={version.id} value={version.id}>
                Version {version.number}
              </option>
            ))}
          </select>
        </div>
        <TextField id={`${id}-since`} label="From" type="datetime-local" value={draft.since} onChange={(since) => set({ since })} error={problems.since} />
        <TextField id={`${id}-until`} label="To" type="datetime-local" value={draft.until} onChange={(until) => set({ until })} error={problems.until} />
        <TextField
          id={`${id}-limit`}
          label="How many (at most)"
          type="text"
          inputMode="numeric"
          value={draft.limit}
          onChange={(limit) => set({ limit })}
          hint={`1 to ${MAX_REPLAY}`}
          error={problems.limit}
        />
        <div className="filters-actions">
          <button type="submit" className="button primary" disabled={start.isPending}>
            {start.isPending ? "Starting…" : "Start the replay"}
          </button>
        </div>
      </form>
      {start.isError && <ErrorMessage error={start.error} />}
    </section>
  );
}
