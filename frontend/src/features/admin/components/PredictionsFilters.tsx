import { useId, useState, type FormEvent } from "react";
import { useModels } from "@/api/models";
import { EMPTY_FILTERS, PAGE_SIZES, STATUSES, filtersProblem, filtersToSearch, type AdminFilters } from "../filters";
import "../admin.css";

interface Props {
  /** the filters in force (those of the page's URL) */
  applied: AdminFilters;
  onApply: (filters: AdminFilters) => void;
}

/** The filter form: a draft that is applied on submit. */
export function PredictionsFilters({ applied, onApply }: Props) {
  const models = useModels();
  const formId = useId();
  const [draft, setDraft] = useState<AdminFilters>(applied);
  // the applied filters changed (applied, sorted, paged, back button): the form shows them
  const appliedKey = filtersToSearch(applied).toString();
  const [shownKey, setShownKey] = useState(appliedKey);
  if (shownKey !== appliedKey) {
    setShownKey(appliedKey);
    setDraft(applied);
  }
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    onApply({ ...draft, page: 0 });
  };
  const draftProblem = filtersProblem(draft);

  return (
    <form className="filters" onSubmit={onSubmit} aria-label="Filter predictions">
      <div className="field">
        <label htmlFor={`${formId}-model`}>Model</label>
        <select id={`${formId}-model`} value={draft.model} onChange={(e) => setDraft({ ...draft, model: e.target.value })}>
          <option value="">All models</option>
          {models.data?.map((m) => (
            <option key={m.name} value={m.name}>
              {m.title}
            </option>
          ))}
          {draft.model && !models.data?.some((m) => m.name === draft.model) && <option value={draft.model}>{draft.model}</option>}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${formId}-user`}>User e-mail contains</label>
        <input id={`${formId}-user`} type="search" value={draft.user} onChange={(e) => setDraft({ ...draft, user: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${formId}-name`}>File name contains</label>
        <input id={`${formId}-name`} type="search" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${formId}-status`}>Status</label>
        <select
          id={`${formId}-status`}
          value={draft.status}
          onChange={(e) => setDraft({ ...draft, status: e.target.value as AdminFilters["status"] })}
        >
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${formId}-since`}>From</label>
        <input id={`${formId}-since`} type="datetime-local" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${formId}-until`}>To</label>
        <input id={`${formId}-until`} type="datetime-local" value={draft.until} onChange={(e) => setDraft({ ...draft, until: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${formId}-limit`}>Rows per page</label>
        <select id={`${formId}-limit`} value={draft.limit} onChange={(e) => setDraft({ ...draft, limit: Number(e.target.value) })}>
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <div className="filters-actions">
        <button type="submit" className="button primary" disabled={draftProblem !== null}>
          Apply filters
        </button>
        <button type="button" className="button secondary" onClick={() => onApply(EMPTY_FILTERS)}>
          Reset
        </button>
      </div>
      {draftProblem && (
        <p className="field-error" role="alert">
          {draftProblem}
        </p>
      )}
    </form>
  );
}
