import { useId, useState } from "react";
import { useSearchParams } from "react-router";
import { useModels } from "@/api/models";
import type { Job } from "@/api/types";
import { ErrorMessage } from "@/components/ErrorMessage";
import { chosen, modelChoices, versionChoices } from "../../compare";
import { useComparableVersions, useRunAgain } from "../../compareApi";
import { Comparison } from "./Comparison";
import "./compare.css";

/** The search parameter that keeps the prediction compared with (a reload shows it again). */
export const COMPARE_PARAM = "compare";

/** "Compare with another model or version": the job's owner runs the same upload on another
 * version of its model or on another model that gives the same kind of result, follows the
 * new prediction, then sees both results side by side with how they agree. */
export function CompareSection({ job }: { job: Job }) {
  const headingId = useId();
  const [search, setSearch] = useSearchParams();
  const otherId = search.get(COMPARE_PARAM);
  const [started, setStarted] = useState<string | null>(null);
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Compare with another model or version</h2>
      <CompareForm
        job={job}
        onStarted={(id) => {
          setStarted(id);
          setSearch((current) => {
            const next = new URLSearchParams(current);
            next.set(COMPARE_PARAM, id);
            return next;
          });
        }}
      />
      {otherId && <Comparison key={otherId} job={job} otherId={otherId} focus={started === otherId} />}
    </section>
  );
}

function CompareForm({ job, onStarted }: { job: Job; onStarted: (id: string) => void }) {
  const selectId = useId();
  const hintId = useId();
  const models = useModels();
  const versions = useComparableVersions(job.model);
  const run = useRunAgain(job.id);
  const [value, setValue] = useState("");
  const ownVersions = versionChoices(job, versions.data ?? []);
  const otherModels = modelChoices(job, models.data ?? []);
  const choice = chosen([...ownVersions, ...otherModels], value);

  if (versions.isPending || models.isPending) return <p className="muted">Looking for versions and models to compare with…</p>;
  if (ownVersions.length === 0 && otherModels.length === 0) {
    return <p className="muted">No other version of this model, and no other model, gives this kind of result for this file.</p>;
  }
  return (
    <>
      <form
        className="compare-form"
        aria-label="Compare with another model or version"
        onSubmit={(event) => {
          event.preventDefault();
          if (!choice) return;
          run.mutate({ model: choice.model, version: choice.version }, { onSuccess: (other) => onStarted(other.id) });
        }}
      >
        <div className="field">
          <label htmlFor={selectId}>Run the same file on</label>
          <select id={selectId} value={value} onChange={(event) => setValue(event.target.value)} aria-describedby={hintId} required>
            <option value="">Choose a version or a model</option>
            {ownVersions.length > 0 && (
              <optgroup label="Other versions of this model">
                {ownVersions.map((option) => (
                  <option key={option.value} value={option.value}>
                    {option.label}
                  </option>
                ))}
              </optgroup>
            )}
            {otherModels.length > 0 && (
              <optgroup label="Other models">
                {otherModels.map((option) => (
                  <option key={option.value} value={option.value}>
                    {option.label}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
        </div>
        <button type="submit" className="button primary" disabled={!choice || run.isPending}>
          {run.isPending ? "Starting…" : "Run and compare"}
        </button>
      </form>
      <p id={hintId} className="hint">
        It runs as a new prediction of yours (in your history); both results are then shown side by side.
      </p>
      {run.isError && <ErrorMessage error={run.error} />}
    </>
  );
}
