import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ErrorMessage } from "@/components/ErrorMessage";
import { paths } from "@/config/paths";
import { formatDateTime } from "@/lib/format";
import { useAdjustRelease, useEndRelease, type ReleaseEnd } from "../api";
import { checkShares, percentText, type ShareDraft } from "../forms";
import { shadowSkippedText, sharesText } from "../describe";
import type { ManagedModel, Release } from "../types";
import { focusFirstProblem } from "./focus";
import { ShareFields } from "./ShareFields";

interface Props {
  model: ManagedModel;
  release: Release;
  /** a sentence saying what changed */
  onDone: (what: string) => void;
}

/** The confirmation of promote and roll back, naming both versions. */
export function confirmText(how: ReleaseEnd, release: Release, title: string): string {
  const candidate = `version ${release.candidate_number}`;
  const baseline = `version ${release.baseline_number}`;
  return how === "promote"
    ? `Promote ${candidate} of ${title}? It replaces ${baseline} as the live version: every new prediction runs on ${candidate}.`
    : `Roll back ${candidate} of ${title}? Every new prediction runs on ${baseline} (live) again; predictions ${candidate} already made keep their results.`;
}

/** The active release: its versions and shares (editable), its comparison, and promote or roll
 * back, each one action after a confirmation. */
export function ActiveRelease({ model, release, onDone }: Props) {
  const id = useId();
  const headingId = `${id}-heading`;
  const adjust = useAdjustRelease(model.id);
  const end = useEndRelease(model.id);
  const [draft, setDraft] = useState<ShareDraft>({ canary: percentText(release.canary_share), shadow: percentText(release.shadow_share) });
  const [problems, setProblems] = useState<{ canary?: string; shadow?: string; shares?: string }>({});
  const candidate = `version ${release.candidate_number}`;
  const skipped = shadowSkippedText(release.shadow_skipped);

  const onSave = (event: FormEvent) => {
    event.preventDefault();
    const checked = checkShares(draft);
    setProblems(checked.problems ?? {});
    if (checked.problems) {
      focusFirstProblem(id, ["canary", "shadow", "shares"], checked.problems, { shares: "canary" });
      return;
    }
    adjust.mutate(
      { id: release.id, body: checked.body },
      { onSuccess: (updated) => onDone(`The shares of ${candidate} are now: ${sharesText(updated)}.`) },
    );
  };

  const onEnd = (how: ReleaseEnd) => {
    if (!window.confirm(confirmText(how, release, model.title))) return;
    // this panel goes once the ended release is read back: the page is told all the same
    end.mutateAsync({ id: release.id, how }).then(
      () =>
        onDone(
          how === "promote"
            ? `Version ${release.candidate_number} was promoted: it is live for every new prediction.`
            : `Version ${release.candidate_number} was rolled back: version ${release.baseline_number} serves every new prediction.`,
        ),
      () => undefined,
    );
  };

  return (
    <section className="panel release-active" aria-labelledby={headingId}>
      <h3 id={headingId}>
        Active release: version {release.candidate_number} beside version {release.baseline_number} (live)
      </h3>
      <dl className="facts">
        <div>
          <dt>Shares</dt>
          <dd>{sharesText(release)}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            {formatDateTime(release.created_at)}
            {release.created_by && ` by ${release.created_by}`}
          </dd>
        </div>
        {release.note && (
          <div>
            <dt>Note</dt>
            <dd className="pre-wrap">{release.note}</dd>
          </div>
        )}
      </dl>
      {skipped && <p className="hint">{skipped}.</p>}
      <p>
        <Link to={paths.admin.releaseComparison.href(model.id, release.id)}>
          Compare version {release.candidate_number} with version {release.baseline_number}
        </Link>
      </p>
      <form className="form release-form" onSubmit={onSave} noValidate aria-label="Shares of the release">
        <ShareFields idPrefix={id} draft={draft} onChange={setDraft} problems={problems} />
        <button type="submit" className="button secondary" disabled={adjust.isPending}>
          {adjust.isPending ? "Saving…" : "Save the shares"}
        </button>
      </form>
      {adjust.isError && <ErrorMessage error={adjust.error} />}
      <div className="button-row">
        <button type="button" className="button primary" disabled={end.isPending} onClick={() => onEnd("promote")}>
          Promote version {release.candidate_number}
        </button>
        <button type="button" className="button danger" disabled={end.isPending} onClick={() => onEnd("rollback")}>
          Roll back version {release.candidate_number}
        </button>
      </div>
      {end.isError && <ErrorMessage error={end.error} />}
    </section>
  );
}
