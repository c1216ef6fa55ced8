import { useId, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useAdminDeletePrediction, useAdminPredictions } from "@/api/admin";
import { useModels } from "@/api/models";
import { downloadUrl } from "@/api/predictions";
import type { JobSort } from "@/api/types";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Pagination } from "@/components/Pagination";
import { Loading } from "@/components/Spinner";
import { StatusBadge } from "@/components/StatusBadge";
import { usePageTitle } from "@/components/PageTitle";
import { mainDownload } from "@/features/history/components/HistoryPage";
import { formatDateTime, formatDuration } from "@/lib/format";
import {
  EMPTY_FILTERS,
  PAGE_SIZES,
  STATUSES,
  filtersFromSearch,
  filtersProblem,
  filtersToSearch,
  nextSort,
  toApiQuery,
  type AdminFilters,
} from "../filters";

const COLUMNS: { key: JobSort | null; label: string }[] = [
  { key: "user", label: "User" },
  { key: "model", label: "Model" },
  { key: "name", label: "File" },
  { key: "created", label: "Date and time" },
  { key: "status", label: "Status" },
  { key: "duration", label: "Duration" },
  { key: null, label: "Actions" },
];

export function PredictionsTab() {
  usePageTitle("Predictions · Administration");
  const [search, setSearch] = useSearchParams();
  const filters = filtersFromSearch(search);
  const [draft, setDraft] = useState<AdminFilters>(filters);
  // the URL changed (applied, sorted, paged, back button): the form shows it
  const searchKey = search.toString();
  const [shownKey, setShownKey] = useState(searchKey);
  if (shownKey !== searchKey) {
    setShownKey(searchKey);
    setDraft(filters);
  }
  const problem = filtersProblem(filters);
  const query = toApiQuery(filters);
  const list = useAdminPredictions(query, problem === null);
  const models = useModels();
  const remove = useAdminDeletePrediction();
  const formId = useId();

  const apply = (next: AdminFilters) => setSearch(filtersToSearch(next));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    apply({ ...draft, page: 0 });
  };
  const draftProblem = filtersProblem(draft);

  return (
    <section aria-labelledby="predictions-heading">
      <h2 id="predictions-heading">Predictions</h2>
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
          <button type="button" className="button secondary" onClick={() => apply(EMPTY_FILTERS)}>
            Reset
          </button>
        </div>
        {draftProblem && (
          <p className="field-error" role="alert">
            {draftProblem}
          </p>
        )}
      </form>

      {problem && <p className="field-error">{problem}</p>}
      {list.isPending && !problem && <Loading />}
      {list.isError && <ErrorMessage error={list.error} onRetry={() => list.refetch()} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {list.data && (
        <>
          <p className="muted" aria-live="polite">
            {list.data.count === 1 ? "1 prediction matches." : `${list.data.count} predictions match.`}
            {list.isFetching && " Updating…"}
          </p>
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">
                Predictions, sorted by {filters.sort} ({filters.order === "asc" ? "ascending" : "descending"})
              </caption>
              <thead>
                <tr>
                  {COLUMNS.map((column) => {
                    const active = column.key !== null && filters.sort === column.key;
                    return (
                      <th
                        key={column.label}
                        scope="col"
                        aria-sort={active ? (filters.order === "asc" ? "ascending" : "descending") : undefined}
                      >
                        {column.key ? (
                          <button type="button" className="sort-button" onClick={() => apply(nextSort(filters, column.key!))}>
                            {column.label}
                            <span aria-hidden="true" className="sort-mark">
                              {active ? (filters.order === "asc" ? " ▲" : " ▼") : " ↕"}
                            </span>
                          </button>
                        ) : (
                          <span className="visually-hidden">{column.label}</span>
                        )}
                      </th>
                    );
                  })}
                </tr>
              </thead>
              <tbody>
                {list.data.data.map((job) => {
                  const file = job.inputs.length > 1 ? `${job.inputs[0]?.name} +${job.inputs.length - 1}` : (job.inputs[0]?.name ?? "–");
                  const download = mainDownload(job);
                  return (
                    <tr key={job.id}>
                      <td data-label="User" className="break">{job.user_email ?? <span className="muted">anonymous</span>}</td>
                      <td data-label="Model">{job.model}</td>
                      <td data-label="File" className="break">{file}</td>
                      <td data-label="Date">{formatDateTime(job.timings.created)}</td>
                      <td data-label="Status">
                        <StatusBadge status={job.status} />
                        {job.error && <span className="visually-hidden">: {job.error}</span>}
                      </td>
                      <td data-label="Duration">{formatDuration(job.duration_ms)}</td>
                      <td className="actions">
                        <Link to={paths.prediction.href(job.id)}>
                          Preview<span className="visually-hidden"> {file}</span>
                        </Link>
                        {download && (
                          <a href={downloadUrl(download.url)} download>
                            Download<span className="visually-hidden"> {file}</span>
                          </a>
                        )}
                        <button
                          type="button"
                          className="link-button danger-text"
                          disabled={remove.isPending}
                          onClick={() => {
                            if (window.confirm(`Delete the prediction for ${file} (${job.user_email ?? "anonymous"})? This is recorded in the audit log.`)) {
                              remove.mutate(job.id);
                            }
                          }}
                        >
                          Delete<span className="visually-hidden"> {file}</span>
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Pagination
            offset={filters.page * filters.limit}
            limit={filters.limit}
            count={list.data.count}
            onChange={(offset) => apply({ ...filters, page: Math.floor(offset / filters.limit) })}
          />
        </>
      )}
    </section>
  );
}
