import { useId, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useAdminStats, useModelTitles } from "../api";
import { ErrorMessage } from "@/components/ErrorMessage";
import { ScrollTable } from "@/components/ScrollTable";
import { Loading } from "@/components/Spinner";
import { usePageTitle } from "@/components/PageTitle";
import { countOf, formatBytes, formatDuration, formatNumber, formatPercent } from "@/lib/format";
import { localToIso } from "../filters";
import { dailyTotals } from "../stats";
import { StorageLine } from "./StorageLine";
import "../admin.css";

// the theme's colours (styles/theme.css), light or dark
const COLORS = {
  succeeded: "var(--series-3)",
  failed: "var(--series-2)",
  other: "var(--series-neutral)",
  p50: "var(--series-1)",
  p90: "var(--series-5)",
  p99: "var(--series-4)",
};

export function StatsTab() {
  usePageTitle("Statistics · Administration");
  const id = useId();
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [model, setModel] = useState("");
  const stats = useAdminStats(localToIso(since) || undefined, localToIso(until) || undefined);
  const titleOf = useModelTitles();

  const days = stats.data ? dailyTotals(stats.data.per_day, model) : [];
  const latency = (stats.data?.models ?? []).map((m) => ({
    model: titleOf(m.model),
    p50: m.latency_ms.p50 ?? 0,
    p90: m.latency_ms.p90 ?? 0,
    p99: m.latency_ms.p99 ?? 0,
  }));

  return (
    <section aria-labelledby="stats-heading">
      <h2 id="stats-heading">Statistics</h2>
      <div className="filters">
        <div className="field">
          <label htmlFor={`${id}-since`}>From</label>
          <input id={`${id}-since`} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-until`}>To</label>
          <input id={`${id}-until`} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-model`}>Model (daily chart)</label>
          <select id={`${id}-model`} value={model} onChange={(e) => setModel(e.target.value)}>
            <option value="">All models</option>
            {stats.data?.models.map((m) => (
              <option key={m.model} value={m.model}>
                {titleOf(m.model)}
              </option>
            ))}
          </select>
        </div>
      </div>
      {stats.isPending && <Loading />}
      {stats.isError && <ErrorMessage error={stats.error} onRetry={() => stats.refetch()} />}
      {stats.data && (
        <>
          <p>
            {countOf(stats.data.total, "prediction")} in this period.
          </p>
          <StorageLine storage={stats.data.storage} />
          <div className="chart-grid">
            <figure className="panel chart">
              <figcaption>Predictions per day</figcaption>
              {days.length === 0 ? (
                <p className="muted">No predictions in this period.</p>
              ) : (
                <div className="chart-box" role="img" aria-label={`Bar chart of predictions per day: ${days.map((d) => `${d.day} ${d.count}`).join(", ")}`}>
                  <ResponsiveContainer width="100%" height="100%">
                    <BarChart data={days} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
                      <CartesianGrid strokeDasharray="3 3" />
                      <XAxis dataKey="day" fontSize={12} />
                      <YAxis allowDecimals={false} fontSize={12} width={36} />
                      <Tooltip />
                      <Legend />
                      <Bar dataKey="succeeded" stackId="a" fill={COLORS.succeeded} name="succeeded" />
                      <Bar dataKey="failed" stackId="a" fill={COLORS.failed} name="failed" />
                      <Bar dataKey="other" stackId="a" fill={COLORS.other} name="cancelled or unfinished" />
                    </BarChart>
                  </ResponsiveContainer>
                </div>
              )}
            </figure>
            <figure className="panel chart">
              <figcaption>Latency per model (ms, upload to result)</figcaption>
              {latency.length === 0 ? (
                <p className="muted">No finished predictions yet.</p>
              ) : (
                <div className="chart-box" role="img" aria-label="Bar chart of the latency percentiles per model; the table below has the numbers">
                  <ResponsiveContainer width="100%" height="100%">
                    <BarChart data={latency} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
                      <CartesianGrid strokeDasharray="3 3" />
                      <XAxis dataKey="model" fontSize={12} />
                      <YAxis fontSize={12} width={48} />
                      <Tooltip />
                      <Legend />
                      <Bar dataKey="p50" fill={COLORS.p50} />
                      <Bar dataKey="p90" fill={COLORS.p90} />
                      <Bar dataKey="p99" fill={COLORS.p99} />
                    </BarChart>
                  </ResponsiveContainer>
                </div>
              )}
            </figure>
          </div>
          <ScrollTable captionId={`${id}-per-model`}>
            <table className="table">
              <caption id={`${id}-per-model`}>Per model</caption>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">Predictions</th>
                  <th scope="col" className="num">Succeeded</th>
                  <th scope="col" className="num">Failed</th>
                  <th scope="col" className="num">Failure rate</th>
                  <th scope="col" className="num">Latency p50 / p90 / p99</th>
                  <th scope="col" className="num">Model time p50 / p90 / p99</th>
                </tr>
              </thead>
              <tbody>
                {stats.data.models.map((m) => (
                  <tr key={m.model}>
                    <td>{titleOf(m.model)}</td>
                    <td className="num">{formatNumber(m.count)}</td>
                    <td className="num">{formatNumber(m.succeeded)}</td>
                    <td className="num">{formatNumber(m.failed)}</td>
                    <td className="num">{formatPercent(m.failure_rate, 1)}</td>
                    <td className="num">
                      {[m.latency_ms.p50, m.latency_ms.p90, m.latency_ms.p99].map((v) => formatDuration(v)).join(" / ")}
                    </td>
                    <td className="num">{[m.model_ms.p50, m.model_ms.p90, m.model_ms.p99].map((v) => formatDuration(v)).join(" / ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
          <ScrollTable captionId={`${id}-storage`}>
            <table className="table">
              <caption id={`${id}-storage`}>Storage per model (kept files, all time)</caption>
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col" className="num">Predictions with files</th>
                  <th scope="col" className="num">Size</th>
                  <th scope="col" className="num">Kept for</th>
                </tr>
              </thead>
              <tbody>
                {stats.data.storage_per_model.map((s) => (
                  <tr key={s.model}>
                    <td>{titleOf(s.model)}</td>
                    <td className="num">{formatNumber(s.jobs)}</td>
                    <td className="num">{formatBytes(s.bytes)}</td>
                    <td className="num">{s.retention_days > 0 ? countOf(s.retention_days, "day") : "for ever"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        </>
      )}
    </section>
  );
}
