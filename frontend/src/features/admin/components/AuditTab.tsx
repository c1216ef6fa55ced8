import { useId, useState } from "react";
import { Link } from "react-router";
import { useAdminAudit } from "../api";
import type { AuditEntry } from "@/api/types";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Pagination } from "@/components/Pagination";
import { Loading } from "@/components/Spinner";
import { usePageTitle } from "@/components/PageTitle";
import { formatDateTime } from "@/lib/format";
import "../admin.css";

const LIMIT = 50;
const PREFIXES = ["", "prediction.", "model.", "message.", "user."];

export function AuditTab() {
  usePageTitle("Audit log · Administration");
  const id = useId();
  const [action, setAction] = useState("");
  const [offset, setOffset] = useState(0);
  const audit = useAdminAudit(action, offset, LIMIT);
  return (
    <section aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <div className="filters">
        <div className="field">
          <label htmlFor={`${id}-action`}>Action</label>
          <select
            id={`${id}-action`}
            value={action}
            onChange={(e) => {
              setAction(e.target.value);
              setOffset(0);
            }}
          >
            {PREFIXES.map((p) => (
              <option key={p} value={p}>
                {p ? `${p}*` : "All actions"}
              </option>
            ))}
          </select>
        </div>
      </div>
      {audit.isPending && <Loading />}
      {audit.isError && <ErrorMessage error={audit.error} onRetry={() => audit.refetch()} />}
      {audit.data && audit.data.count === 0 && <p>Nothing recorded yet.</p>}
      {audit.data && audit.data.data.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">Audit entries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {audit.data.data.map((entry) => (
                  <tr key={entry.id}>
                    <td data-label="When">{formatDateTime(entry.at)}</td>
                    <td data-label="Who" className="break">{entry.actor_email ?? "system"}</td>
                    <td data-label="Action" className="mono">{entry.action}</td>
                    <td data-label="Target" className="break">
                      <AuditTarget entry={entry} />
                    </td>
                    <td data-label="Details" className="mono small break">
                      {entry.details && Object.keys(entry.details).length
                        ? Object.entries(entry.details)
                            .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
                            .join(", ")
                        : "–"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination offset={offset} limit={LIMIT} count={audit.data.count} onChange={setOffset} />
        </>
      )}
    </section>
  );
}

/** An entry's target by its name, as a link to it while it exists: a prediction's page, a
 * model's entry in "Manage models", the users table filtered to the user, the messages. */
export function targetLink(entry: Pick<AuditEntry, "target" | "target_kind" | "target_name" | "target_exists">): { text: string; to: string | null } {
  const { target, target_name: name, target_exists: exists } = entry;
  if (!target) return { text: "–", to: null };
  switch (entry.target_kind) {
    case "prediction":
      return { text: `${name ?? "a prediction"}${exists ? "" : " (deleted)"}`, to: exists ? paths.prediction.href(target) : null };
    case "model":
      if (target === "*") return { text: "every model", to: null };
      return { text: `${name ?? target}${exists ? "" : " (deleted)"}`, to: exists ? paths.admin.catalog.href(target) : null };
    case "user":
      return name && exists ? { text: name, to: paths.admin.users.href(name) } : { text: name ?? "a deleted account", to: null };
    case "message":
      return { text: name ? `“${name}”` : "a deleted message", to: exists ? paths.admin.messages.href() : null };
    default:
      return { text: target, to: null };
  }
}

function AuditTarget({ entry }: { entry: AuditEntry }) {
  const { text, to } = targetLink(entry);
  return to ? <Link to={to}>{text}</Link> : <>{text}</>;
}
