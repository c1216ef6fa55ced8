import { useState } from "react";
import { Link } from "react-router";
import { useDeletePrediction } from "@/api/predictions";
import { useModels } from "@/api/models";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { JOB_COLUMN_LABELS, JobRow, jobFileLabel, jobLinks, type JobColumn } from "@/components/JobRow";
import { Pagination } from "@/components/Pagination";
import { Loading } from "@/components/Spinner";
import { usePageTitle } from "@/components/PageTitle";
import { useDeleteAllMyPredictions, useMyPredictions } from "../api";

const LIMIT = 20;
const COLUMNS: JobColumn[] = ["file", "model", "created", "status", "duration"];

export function HistoryPage() {
  usePageTitle("My predictions");
  const [offset, setOffset] = useState(0);
  const list = useMyPredictions(offset, LIMIT, true);
  const models = useModels();
  const remove = useDeletePrediction();
  const removeAll = useDeleteAllMyPredictions();
  const titleOf = (name: string) => models.data?.find((m) => m.name === name)?.title ?? name;

  return (
    <>
      <h1>My predictions</h1>
      {list.isPending && <Loading />}
      {list.isError && <ErrorMessage error={list.error} onRetry={() => list.refetch()} />}
      {remove.isError && <ErrorMessage error={remove.error} />}
      {removeAll.isError && <ErrorMessage error={removeAll.error} />}
      {list.data && list.data.count === 0 && (
        <p>
          Nothing yet. <Link to={paths.gallery.href()}>Pick a model</Link> and upload a file; it will be listed here.
        </p>
      )}
      {list.data && list.data.data.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">Your predictions, newest first</caption>
              <thead>
                <tr>
                  {COLUMNS.map((column) => (
                    <th key={column} scope="col">
                      {JOB_COLUMN_LABELS[column]}
                    </th>
                  ))}
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.data.map((job) => (
                  <JobRow
                    key={job.id}
                    job={job}
                    columns={COLUMNS}
                    modelTitle={titleOf}
                    actions={[
                      ...jobLinks(job),
                      {
                        kind: "button",
                        label: "Delete",
                        danger: true,
                        disabled: remove.isPending,
                        confirm: `Delete the prediction for ${jobFileLabel(job)}?`,
                        onClick: () => remove.mutate(job.id),
                      },
                    ]}
                  />
                ))}
              </tbody>
            </table>
          </div>
          <Pagination offset={offset} limit={LIMIT} count={list.data.count} onChange={setOffset} />
          <div className="button-row page-actions">
            <button
              type="button"
              className="button danger"
              disabled={removeAll.isPending}
              onClick={() => {
                const count = list.data.count;
                const what = count === 1 ? "your prediction" : `all ${count} of your predictions`;
                if (window.confirm(`Delete ${what} and their files? Jobs still running are stopped. This cannot be undone.`)) {
                  setOffset(0);
                  removeAll.mutate();
                }
              }}
            >
              {removeAll.isPending ? "Deleting…" : "Delete all my predictions"}
            </button>
          </div>
        </>
      )}
    </>
  );
}
