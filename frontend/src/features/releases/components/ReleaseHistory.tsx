import { useId } from "react";
import { Link } from "react-router";
import { ScrollTable } from "@/components/ScrollTable";
import { paths } from "@/config/paths";
import { formatDateTime } from "@/lib/format";
import { RELEASE_STATES, shadowSkippedText, sharesText } from "../describe";
import type { Release } from "../types";
import { StateBadge } from "./Notice";

/** Every release of the model, newest first, with who started and ended it. */
export function ReleaseHistory({ model, releases }: { model: string; releases: Release[] }) {
  const headingId = useId();
  const captionId = useId();
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h3 id={headingId}>Release history</h3>
      {releases.length === 0 ? (
        <p className="muted">No release yet.</p>
      ) : (
        <ScrollTable captionId={captionId}>
          <table className="table responsive">
            <caption id={captionId} className="visually-hidden">
              Releases, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">Candidate</th>
                <th scope="col">Against</th>
                <th scope="col">Shares</th>
                <th scope="col">State</th>
                <th scope="col">Started</th>
                <th scope="col">Ended</th>
                <th scope="col">Comparison</th>
              </tr>
            </thead>
            <tbody>
              {releases.map((release) => (
                <tr key={release.id}>
                  <td data-label="Candidate">
                    Version {release.candidate_number}
                    {release.note && <div className="muted small pre-wrap">{release.note}</div>}
                  </td>
                  <td data-label="Against">Version {release.baseline_number}</td>
                  <td data-label="Shares">
                    {sharesText(release)}
                    {release.shadow_skipped > 0 && <div className="muted small">{shadowSkippedText(release.shadow_skipped)}</div>}
                  </td>
                  <td data-label="State">
                    <StateBadge state={release.state} text={RELEASE_STATES[release.state]} />
                  </td>
                  <td data-label="Started">
                    {formatDateTime(release.created_at)}
                    {release.created_by && <div className="muted small">{release.created_by}</div>}
                  </td>
                  <td data-label="Ended">
                    {release.ended_at ? formatDateTime(release.ended_at) : "–"}
                    {release.ended_by && <div className="muted small">{release.ended_by}</div>}
                  </td>
                  <td data-label="Comparison">
                    <Link to={paths.admin.releaseComparison.href(model, release.id)}>
                      Compare{" "}<span className="visually-hidden">version {release.candidate_number} with version {release.baseline_number}</span>
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
    </section>
  );
}
