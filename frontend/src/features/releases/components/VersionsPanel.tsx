import { useId } from "react";
import { formatDateTime } from "@/lib/format";
import { liveVersion, releasable } from "../describe";
import type { ManagedModel } from "../types";

/** The live version and the versions a release can try. */
export function VersionsPanel({ model }: { model: ManagedModel }) {
  const headingId = useId();
  const live = liveVersion(model);
  const candidates = releasable(model);
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h3 id={headingId}>Versions</h3>
      <dl className="facts">
        <div>
          <dt>Live version</dt>
          <dd>
            {live ? (
              <>
                Version {live.number}
                {live.note && <span className="muted">: {live.note}</span>}
                <span className="muted small"> · added {formatDateTime(live.created_at)}</span>
              </>
            ) : (
              "None: make a version live on Manage models first."
            )}
          </dd>
        </div>
        <div>
          <dt>Can be released</dt>
          <dd>
            {candidates.length === 0 ? (
              "No other validated version: add one on Manage models."
            ) : (
              <ul className="plain-list">
                {candidates.map((version) => (
                  <li key={version.id}>
                    Version {version.number}
                    <span className="muted">
                      {" "}
                      ({version.state === "retired" ? "retired" : "ready"}){version.note ? `: ${version.note}` : ""}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
      </dl>
    </section>
  );
}
