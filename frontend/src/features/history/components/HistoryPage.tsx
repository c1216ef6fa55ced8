import { useState } from "react";
import { Link } from "react-router";
import { downloadUrl, mainDownload, useDeleteAllMyPredictions, useDeletePrediction, useMyPredictions } from "@/api/predictions";
import { useModels } from "@/api/models";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Pagination } from "@/components/Pagination";
import { Loading } from "@/components/Spinner";
import { StatusBadge } from "@/components/StatusBadge";
import { usePageTitle } from "@/components/PageTitle";
import { formatDateTime, formatDuration } from "@/lib/format";

const LIMIT = 20;

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
                  <th scope="col">File</th>
                  <th scope="col">Model</th>
                  <th scope="col">Date and time</th>
                  <th scope="col">Status</th>
                  <th scope="col">Duration</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.data.map((job) => {
                  const name = job.inputs.length > 1 ? `${job.inputs[0]?.name} and ${job.inputs.length - 1} more` : (job.inputs[0]?.name ?? "–");
                  const download = job.files_expired_at ? null : mainDownload(job);
                  return (
                    <tr key={job.id}>
                      <td data-label="File" className="break">
                        <Link to={paths.prediction.href(job.id)}>{name}</Link>
                      </td>
                      <td data-label="Model">{titleOf(job.model)}</td>
                      <td data-label="Date">{formatDateTime(job.timings.created)}</td>
                      <td data-label="Status">
                        <StatusBadge status={job.status} />
                        {job.files_expired_at && <span className="muted"> files expired</span>}
                      </td>
                      <td data-label="Duration">{formatDuration(job.duration_ms)}</td>
                      <td className="actions">
                        <Link to={paths.prediction.href(job.id)}>
                          Open<span className="visually-hidden"> {name}</span>
                        </Link>
                        {download && (
                          <a href={downloadUrl(download.url)} download>
                            Download<span className="visually-hidden"> {download.name}</span>
                          </a>
                        )}
                        <button
                          type="button"
                          className="link-button danger-text"
                          disabled={remove.isPending}
                          onClick={() => {
                            if (window.confirm(`Delete the prediction for ${name}?`)) remove.mutate(job.id);
                          }}
                        >
                          Delete<span className="visually-hidden"> {name}</span>
                        </button>
                      </td>
                    </tr>
                  );
                })}
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
