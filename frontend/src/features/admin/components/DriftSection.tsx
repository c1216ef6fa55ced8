import { useId, useState } from "react";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { countOf, formatDateTime } from "@/lib/format";
import { driftWarning, type DriftReport } from "../drift";
import { localToIso } from "../filters";
import { useDrift } from "../driftApi";
import { DriftChart } from "./DriftChart";
import { ModelPicker } from "./ModelPicker";

const WINDOWS = [
  { hours: 6, label: "the last 6 hours" },
  { hours: 24, label: "the last 24 hours" },
  { hours: 24 * 7, label: "the last 7 days" },
];

/** Whether a model version's recent inputs and outputs look like its reference jobs: a
 * warning per statistic that drifted, and a small chart per statistic. */
export function DriftSection({ models }: { models: { name: string; title: string }[] }) {
  const id = useId();
  const [chosen, setModel] = useState("");
  const model = chosen || models[0]?.name || "";
  const [version, setVersion] = useState<string | undefined>(undefined);
  const [hours, setHours] = useState(24);
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const drift = useDrift(model, {
    version,
    recentHours: hours,
    referenceSince: localToIso(since) || undefined,
    referenceUntil: localToIso(until) || undefined,
  });

  return (
    <section aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>Drift</h3>
      <p className="hint">
        A version&apos;s users&apos; recent jobs against its reference jobs: input size, brightness,
        duration or volume size, objects, confidence, class mix and mask volume. A statistic warns when its population
        stability index (PSI) is above 0.2 and more than chance gives with so few jobs.
      </p>
      <div className="filters">
        <ModelPicker
          id={`${id}-model`}
          value={model}
          models={models}
          onChange={(name) => {
            setModel(name);
            setVersion(undefined);
          }}
        />
        <div className="field">
          <label htmlFor={`${id}-version`}>Version</label>
          <select id={`${id}-version`} value={version ?? ""} onChange={(e) => setVersion(e.target.value || undefined)}>
            <option value="">The live one</option>
            {drift.data?.versions.map((v) => (
              <option key={v.id} value={v.id}>
                {`Version ${v.number}${v.live ? " (live)" : ` (${v.state})`}`}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-window`}>Recent window</label>
          <select id={`${id}-window`} value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {WINDOWS.map((w) => (
              <option key={w.hours} value={w.hours}>
                {w.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-since`}>Reference from</label>
          <input id={`${id}-since`} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} aria-describedby={`${id}-reference-hint`} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-until`}>Reference to</label>
          <input id={`${id}-until`} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} aria-describedby={`${id}-reference-hint`} />
        </div>
      </div>
      <p id={`${id}-reference-hint`} className="hint">
        Leave the reference period empty to compare with the version&apos;s first 500 jobs; without an end, it ends where the recent window starts.
      </p>
      {drift.isPending && model !== "" && <Loading />}
      {drift.isError && <ErrorMessage error={drift.error} onRetry={() => drift.refetch()} />}
      {drift.data && <DriftReportView report={drift.data} />}
    </section>
  );
}

export function DriftReportView({ report }: { report: DriftReport }) {
  const drifting = report.statistics.filter((s) => s.warn);
  return (
    <>
      <p className="muted">
        {`Version ${report.version_number}. Reference: ${report.reference.chosen}, ${countOf(report.reference.jobs, "job")}`}
        {report.reference.start && ` (${formatDateTime(report.reference.start)} to ${formatDateTime(report.reference.end)})`}
        {`. Recent: ${report.recent.chosen}, ${countOf(report.recent.jobs, "job")}.`}
      </p>
      {drifting.length > 0 && (
        <div className="alert alert-warning" role="alert">
          <p className="alert-title">{drifting.length === 1 ? "A statistic has drifted" : `${drifting.length} statistics have drifted`}</p>
          <ul>
            {drifting.map((s) => (
              <li key={s.name}>{driftWarning(s, report.recent.start)}</li>
            ))}
          </ul>
        </div>
      )}
      {report.statistics.length === 0 ? (
        <p className="muted">This version has no finished jobs of its users yet.</p>
      ) : (
        <div className="drift-charts">
          {report.statistics.map((s) => (
            <DriftChart key={s.name} stat={s} reference={report.reference} recent={report.recent} />
          ))}
        </div>
      )}
    </>
  );
}
