import { useId, useState, type FormEvent } from "react";
import { ErrorMessage } from "@/components/ErrorMessage";
import { useStartRelease } from "../api";
import { checkRelease, MAX_NOTE, type Problems, type ReleaseDraft, type ReleaseField } from "../forms";
import { liveVersion, releasable, versionLabel } from "../describe";
import type { ManagedModel, Release } from "../types";
import { focusFirstProblem } from "./focus";
import { ShareFields } from "./ShareFields";

const ORDER = ["candidate", "canary", "shadow", "shares", "note"] as const;

interface Props {
  model: ManagedModel;
  onStarted: (release: Release) => void;
}

/** "Start a release": a validated version beside the live one, with its canary and shadow
 * shares and a note. */
export function StartReleaseForm({ model, onStarted }: Props) {
  const id = useId();
  const headingId = `${id}-heading`;
  const start = useStartRelease(model.id);
  const candidates = releasable(model);
  const live = liveVersion(model);
  const [draft, setDraft] = useState<ReleaseDraft>({ candidate: candidates[0]?.id ?? "", canary: "10", shadow: "0", note: "" });
  const [problems, setProblems] = useState<Problems<ReleaseField>>({});

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const checked = checkRelease(draft);
    setProblems(checked.problems ?? {});
    if (checked.problems) {
      focusFirstProblem(id, ORDER, checked.problems, { shares: "canary" });
      return;
    }
    // the form goes once the release is read back: the caller is told whether it is still here
    start.mutateAsync(checked.body).then(onStarted, () => undefined);
  };

  if (!live || candidates.length === 0) {
    return (
      <section className="panel" aria-labelledby={headingId}>
        <h3 id={headingId}>Start a release</h3>
        <p className="muted">{live ? "There is no validated version besides the live one to release." : "The model has no live version to release against."}</p>
      </section>
    );
  }
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h3 id={headingId}>Start a release</h3>
      <p className="hint">
        The candidate runs beside version {live.number} (live) until you promote it or roll it back. Compare the two while it runs.
      </p>
      <form className="form release-form" onSubmit={onSubmit} noValidate aria-labelledby={headingId}>
        <div className="field">
          <label htmlFor={`${id}-candidate`}>Candidate version</label>
          <select
            id={`${id}-candidate`}
            value={draft.candidate}
            onChange={(event) => setDraft({ ...draft, candidate: event.target.value })}
            aria-invalid={problems.candidate ? true : undefined}
            aria-describedby={problems.candidate ? `${id}-candidate-error` : undefined}
          >
            <option value="">Choose a version</option>
            {candidates.map((version) => (
              <option key={version.id} value={version.id}>
                {versionLabel(version)}
              </option>
            ))}
          </select>
          {problems.candidate && (
            <p id={`${id}-candidate-error`} className="field-error">
              {problems.candidate}
            </p>
          )}
        </div>
        <ShareFields idPrefix={id} draft={draft} onChange={(shares) => setDraft({ ...draft, ...shares })} problems={problems} />
        <div className="field">
          <label htmlFor={`${id}-note`}>Note (optional)</label>
          <textarea
            id={`${id}-note`}
            rows={2}
            maxLength={MAX_NOTE}
            value={draft.note}
            onChange={(event) => setDraft({ ...draft, note: event.target.value })}
            aria-invalid={problems.note ? true : undefined}
          />
          {problems.note && <p className="field-error">{problems.note}</p>}
        </div>
        <button type="submit" className="button primary" disabled={start.isPending}>
          {start.isPending ? "Starting…" : "Start the release"}
        </button>
      </form>
      {start.isError && <ErrorMessage error={start.error} />}
    </section>
  );
}
