import { useState } from "react";
import { useSearchParams } from "react-router";
import { useAdminUsers, useSendResetLink, useUpdateUser } from "../api";
import { useMe } from "@/api/auth";
import type { Role } from "@/api/types";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Pagination } from "@/components/Pagination";
import { RowActions } from "@/components/RowActions";
import { Loading } from "@/components/Spinner";
import { usePageTitle } from "@/components/PageTitle";
import { formatDateTime } from "@/lib/format";
import "../admin.css";

const LIMIT = 50;

export function UsersTab() {
  usePageTitle("Users · Administration");
  const [offset, setOffset] = useState(0);
  // `?email=`: the audit log links a user here by their address
  const [search, setSearch] = useSearchParams();
  const email = search.get("email") ?? "";
  const users = useAdminUsers(offset, LIMIT, email);
  const update = useUpdateUser();
  const reset = useSendResetLink();
  const [resetFor, setResetFor] = useState<string | null>(null);
  const me = useMe();
  return (
    <section aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      <form
        className="filters"
        role="search"
        aria-label="Find users"
        onSubmit={(e) => {
          e.preventDefault();
          const typed = String(new FormData(e.currentTarget).get("email") ?? "").trim();
          setOffset(0);
          setSearch(typed ? { email: typed } : {});
        }}
      >
        <div className="field">
          <label htmlFor="users-email">E-mail contains</label>
          <input id="users-email" name="email" type="search" defaultValue={email} key={email} />
        </div>
        <div className="filters-actions">
          <button type="submit" className="button primary">
            Find
          </button>
          {email && (
            <button type="button" className="button secondary" onClick={() => setSearch({})}>
              Show everyone
            </button>
          )}
        </div>
      </form>
      {update.isError && <ErrorMessage error={update.error} />}
      {reset.isError && <ErrorMessage error={reset.error} />}
      {reset.isSuccess && resetFor && <ResetSent email={resetFor} link={reset.data.link ?? null} detail={reset.data.detail} expires={reset.data.expires_at} />}
      {users.isPending && <Loading />}
      {users.isError && <ErrorMessage error={users.error} onRetry={() => users.refetch()} />}
      {users.data && (
        <>
          <div className="table-wrap">
            <table className="table responsive">
              <caption className="visually-hidden">Accounts</caption>
              <thead>
                <tr>
                  <th scope="col">E-mail</th>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Disabled</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last log-in</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.data.data.map((user) => {
                  const self = user.id === me.data?.id;
                  return (
                    <tr key={user.id}>
                      <td data-label="E-mail" className="break">
                        {user.email}
                        {self && <span className="muted"> (you)</span>}
                      </td>
                      <td data-label="Name">{user.name || "–"}</td>
                      <td data-label="Role">
                        <label className="visually-hidden" htmlFor={`role-${user.id}`}>
                          Role of {user.email}
                        </label>
                        <select
                          id={`role-${user.id}`}
                          value={user.role}
                          disabled={self || update.isPending}
                          onChange={(e) => update.mutate({ id: user.id, role: e.target.value as Role })}
                        >
                          <option value="user">user</option>
                          <option value="admin">admin</option>
                        </select>
                      </td>
                      <td data-label="Disabled">
                        <label className="inline-check">
                          <input
                            type="checkbox"
                            checked={user.disabled}
                            disabled={self || update.isPending}
                            onChange={(e) => update.mutate({ id: user.id, disabled: e.target.checked })}
                          />
                          <span className="visually-hidden">Disable the account of {user.email}</span>
                          <span aria-hidden="true">{user.disabled ? "disabled" : "active"}</span>
                        </label>
                      </td>
                      <td data-label="Created">{formatDateTime(user.created_at)}</td>
                      <td data-label="Last log-in">{formatDateTime(user.last_login_at)}</td>
                      <RowActions
                        subject={`to ${user.email}`}
                        actions={[
                          {
                            kind: "button",
                            label: "Send reset link",
                            disabled: reset.isPending,
                            confirm: `Send ${user.email} a link to set a new password? Their current password keeps working until the link is used.`,
                            onClick: () => {
                              setResetFor(user.email);
                              reset.mutate(user.id);
                            },
                          },
                        ]}
                      />
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Pagination offset={offset} limit={LIMIT} count={users.data.count} onChange={setOffset} />
        </>
      )}
    </section>
  );
}

/** What a reset did: mailed, or the one-time link to pass on (selected, ready to copy). */
function ResetSent({ email, link, detail, expires }: { email: string; link: string | null; detail: string; expires: string }) {
  const [copied, setCopied] = useState(false);
  if (!link) {
    return (
      <p className="alert alert-success" role="status">
        A link to set a new password was mailed to {email}.
      </p>
    );
  }
  return (
    <div className="alert alert-warning" role="status">
      <p className="alert-title">Reset link for {email}</p>
      <p>{detail}</p>
      <p>It works once, until {formatDateTime(expires)}; whoever has it can set the password.</p>
      <label htmlFor="reset-link">One-time link</label>
      <input id="reset-link" type="text" readOnly value={link} onFocus={(event) => event.target.select()} />
      <div className="alert-actions">
        <button
          type="button"
          className="button secondary"
          onClick={() => navigator.clipboard?.writeText(link).then(() => setCopied(true), () => setCopied(false))}
        >
          {copied ? "Copied" : "Copy the link"}
        </button>
      </div>
    </div>
  );
}
