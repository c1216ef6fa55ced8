import { ErrorMessage } from "@/components/ErrorMessage";
import { RowActions } from "@/components/RowActions";
import { Loading } from "@/components/Spinner";
import { formatDateTime } from "@/lib/format";
import { useEndSession, useSessions, useSignOutOthers } from "../api";
import { describeAgent } from "../validation";

/** Where the account is signed in: one row per log-in; any but this one can be signed out. */
export function SessionsSection() {
  const sessions = useSessions();
  const end = useEndSession();
  const others = useSignOutOthers();
  const list = sessions.data?.data ?? [];
  const otherCount = list.filter((s) => !s.current).length;
  return (
    <section className="panel account-section" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <p className="muted">Each log-in is a session. Signing one out ends it at once, wherever it is.</p>
      {sessions.isPending && <Loading />}
      {sessions.isError && <ErrorMessage error={sessions.error} onRetry={() => sessions.refetch()} />}
      {(end.isError || others.isError) && <ErrorMessage error={end.error ?? others.error} />}
      {others.isSuccess && (
        <p className="alert alert-success" role="status">
          {others.data.signed_out === 1 ? "1 other session was signed out." : `${others.data.signed_out} other sessions were signed out.`}
        </p>
      )}
      {sessions.data && (
        <div className="table-wrap">
          <table className="table responsive">
            <caption className="visually-hidden">Your sessions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Browser</th>
                <th scope="col">Address</th>
                <th scope="col">Logged in</th>
                <th scope="col">Last seen</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((session) => {
                const name = describeAgent(session.user_agent);
                return (
                  <tr key={session.id}>
                    <td data-label="Browser" title={session.user_agent ?? undefined}>
                      {name}
                      {session.current && <strong className="session-current"> (this session)</strong>}
                    </td>
                    <td data-label="Address">{session.client ?? "–"}</td>
                    <td data-label="Logged in">{formatDateTime(session.created_at)}</td>
                    <td data-label="Last seen">{formatDateTime(session.last_seen_at)}</td>
                    {session.current ? (
                      <td className="actions" />
                    ) : (
                      <RowActions
                        subject={`${name}, logged in ${formatDateTime(session.created_at)}`}
                        actions={[{ kind: "button", label: "Sign out", onClick: () => end.mutate(session.id), disabled: end.isPending }]}
                      />
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div className="button-row">
        <button type="button" className="button secondary" disabled={otherCount === 0 || others.isPending} onClick={() => others.mutate()}>
          {others.isPending ? "Signing out…" : "Sign out all other sessions"}
        </button>
      </div>
    </section>
  );
}
