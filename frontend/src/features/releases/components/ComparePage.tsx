import { useId } from "react";
import { Link, useParams } from "react-router";
import { AgreementFigures } from "@/components/agreement/AgreementFigures";
import { kindName } from "@/components/agreement/summary";
import type { PairLabels, ResultPairComponent } from "@/components/agreement/types";
import { ErrorMessage } from "@/components/ErrorMessage";
import { usePageTitle } from "@/components/PageTitle";
import { Loading } from "@/components/Spinner";
import { paths } from "@/config/paths";
import { countOf, formatDateTime, formatNumber } from "@/lib/format";
import { useComparison, useManagedModel, useReleases, useReplays } from "../api";
import { shadowSkippedText } from "../describe";
import type { Comparison, VersionFigures } from "../types";
import { VersionFiguresTable } from "./VersionFiguresTable";
import { WorstPairs } from "./WorstPairs";
import "../releases.css";

interface Props {
  of: "release" | "replay";
  /** two results side by side (the predictions feature's viewers, passed by the app) */
  Pair: ResultPairComponent;
}

const versionName = (figures: VersionFigures) => (figures.number != null ? `Version ${figures.number}` : "The live version");

/** A release's candidate, or a replay's version, against the live version: per version its
 * predictions, failures and latency; how their results agree on the same inputs; and the
 * inputs where they disagree most, side by side. */
export function ComparePage({ of, Pair }: Props) {
  const { name = "", id = "" } = useParams();
  const model = useManagedModel(name);
  const releases = useReleases(name);
  const replays = useReplays(name);
  const release = of === "release" ? releases.data?.find((r) => r.id === id) : undefined;
  const replay = of === "replay" ? replays.data?.find((r) => r.id === id) : undefined;
  const stillChanging = release?.state === "active" || replay?.state === "running";
  const comparison = useComparison(name, of, id, stillChanging);
  const title = model.data?.title ?? name;
  usePageTitle(`Comparison · ${title} · Administration`);

  const labels: PairLabels | null = comparison.data
    ? { baseline: versionName(comparison.data.baseline), candidate: versionName(comparison.data.candidate) }
    : null;
  const what = release
    ? `The release started ${formatDateTime(release.created_at)}: the live predictions of each version since then, and their results on the shadow copies.`
    : replay
      ? `The replay of ${countOf(replay.chosen, "prediction")} started ${formatDateTime(replay.created_at)}: its results against the live version's on the same inputs.`
      : null;

  return (
    <section aria-labelledby="compare-heading" className="releases">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.admin.catalog.href(name)}>Manage models</Link> <span aria-hidden="true">›</span>{" "}
        <Link to={paths.admin.releases.href(name)}>Releases of {title}</Link> <span aria-hidden="true">›</span>{" "}
        <span aria-current="page">Comparison</span>
      </nav>
      <h2 id="compare-heading">{labels ? `${labels.candidate} against ${labels.baseline.toLowerCase()}` : "Comparison"}</h2>
      {what && <p className="hint">{what}</p>}
      {comparison.isPending && <Loading label="Comparing the two versions…" />}
      {comparison.isError && <ErrorMessage error={comparison.error} onRetry={() => comparison.refetch()} />}
      {comparison.data && labels && (
        <>
          <div className="button-row">
            <button type="button" className="button small secondary" onClick={() => comparison.refetch()} disabled={comparison.isFetching}>
              {comparison.isFetching ? "Comparing…" : "Compare again"}
            </button>
            {stillChanging && <span className="muted small">It is compared again every 10 seconds while it runs.</span>}
          </div>
          <Figures comparison={comparison.data} labels={labels} />
          <Worst comparison={comparison.data} labels={labels} Pair={Pair} />
        </>
      )}
    </section>
  );
}

function Figures({ comparison, labels }: { comparison: Comparison; labels: PairLabels }) {
  const headingId = useId();
  const agreementId = useId();
  const summaries = Object.entries(comparison.summaries);
  const skipped = Object.entries(comparison.not_compared);
  const notCopied = shadowSkippedText(comparison.shadow_skipped);
  return (
    <>
      <section className="panel" aria-labelledby={headingId}>
        <h3 id={headingId}>Per version</h3>
        <VersionFiguresTable
          caption="Predictions, failures and latency"
          rows={[
            { label: `${labels.baseline} (reference)`, figures: comparison.baseline },
            { label: `${labels.candidate} (candidate)`, figures: comparison.candidate },
          ]}
        />
      </section>
      <section className="panel" aria-labelledby={agreementId}>
        <h3 id={agreementId}>Agreement</h3>
        <p>
          {comparison.pairs === 0
            ? "No pair of results of the same input has been compared yet."
            : `${countOf(comparison.pairs, "pair")} of results of the same inputs compared.`}
        </p>
        {notCopied && <p className="muted small">{notCopied}.</p>}
        {skipped.length > 0 && (
          <ul className="plain-list muted small" aria-label="Not compared">
            {skipped.map(([why, count]) => (
              <li key={why}>
                {formatNumber(count)} not compared: {why}
              </li>
            ))}
          </ul>
        )}
        {summaries.map(([kind, summary]) => (
          <section key={kind} aria-label={kindName(kind)}>
            {summaries.length > 1 && <h4>{kindName(kind)}</h4>}
            <AgreementFigures of={summary} labels={labels} />
          </section>
        ))}
      </section>
    </>
  );
}

function Worst({ comparison, labels, Pair }: { comparison: Comparison; labels: PairLabels; Pair: ResultPairComponent }) {
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h3 id={headingId}>Where they disagree most</h3>
      {comparison.worst.length === 0 ? (
        <p className="muted">No pair to show yet.</p>
      ) : (
        <WorstPairs worst={comparison.worst} labels={labels} Pair={Pair} />
      )}
    </section>
  );
}
