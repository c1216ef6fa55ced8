import { useSearchParams } from "react-router";
import { useAdminDeletePrediction, useAdminFilesAction, useAdminPredictions, useModelTitles } from "../api";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Pagination } from "@/components/Pagination";
import { Loading } from "@/components/Spinner";
import { usePageTitle } from "@/components/PageTitle";
import { countOf } from "@/lib/format";
import { filtersFromSearch, filtersProblem, filtersToSearch, nextSort, toApiQuery, type AdminFilters } from "../filters";
import { PredictionsFilters } from "./PredictionsFilters";
import { PredictionsTable } from "./PredictionsTable";

/** Every user's predictions: the filters and the page live in the URL. */
export function PredictionsTab() {
  usePageTitle("Predictions · Administration");
  const [search, setSearch] = useSearchParams();
  const filters = filtersFromSearch(search);
  const problem = filtersProblem(filters);
  const list = useAdminPredictions(toApiQuery(filters), problem === null);
  const remove = useAdminDeletePrediction();
  const files = useAdminFilesAction();
  const modelTitle = useModelTitles();
  const apply = (next: AdminFilters) => setSearch(filtersToSearch(next));

  return (
    <section aria-labelledby="predictions-heading">
      <h2 id="predictions-heading">Predictions</h2>
      <PredictionsFilters applied={filters} onApply={apply} />

      {problem && <p className="field-error">{problem}</p>}
      {list.isPending && !problem && <Loading />}
      {list.isError && <ErrorMessage error={list.error} onRetry={() => list.refetch()} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {files.isError && <ErrorMessage error={files.error} />}
      {list.data && (
        <>
          <p className="muted" aria-live="polite">
            {countOf(list.data.count, "prediction")} {list.data.count === 1 ? "matches" : "match"}.
            {list.isFetching && " Updating…"}
          </p>
          <PredictionsTable
            jobs={list.data.data}
            modelTitle={modelTitle}
            sort={filters.sort}
            order={filters.order}
            onSort={(column) => apply(nextSort(filters, column))}
            onDelete={(id) => remove.mutate(id)}
            deleting={remove.isPending}
            onFiles={(id, action) => files.mutate({ id, action })}
            filesBusy={files.isPending}
          />
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
