import { useState } from "react";
import { useAdminUsers, useUpdateUser } from "../api";
import { useMe } from "@/api/auth";
import type { Role } from "@/api/types";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Pagination } from "@/components/Pagination";
import { Loading } from "@/components/Spinner";
import { usePageTitle } from "@/components/PageTitle";
import { formatDateTime } from "@/lib/format";
import "../admin.css";

const LIMIT = 50;

export function UsersTab() {
  usePageTitle("Users · Administration");
  const [offset, setOffset] = useState(0);
  const users = useAdminUsers(offset, LIMIT);
  const update = useUpdateUser();
  const me = useMe();
  return (
    <section aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      {update.isError && <ErrorMessage error={update.error} />}
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
