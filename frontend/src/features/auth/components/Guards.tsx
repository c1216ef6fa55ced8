import type { ReactNode } from "react";
import { Link, Navigate, useLocation } from "react-router";
import { useMe } from "@/api/auth";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { usePageTitle } from "@/components/PageTitle";

/** Pages for signed-in people: others are sent to log in (and brought back after). */
export function RequireUser({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading />;
  if (me.isError) return <ErrorMessage error={me.error} onRetry={() => me.refetch()} />;
  if (!me.data) return <Navigate to={paths.login.href(location.pathname + location.search)} replace />;
  return <>{children}</>;
}

export function RequireAdmin({ children }: { children: ReactNode }) {
  const me = useMe();
  if (me.isPending) return <Loading />;
  if (me.isError) return <ErrorMessage error={me.error} onRetry={() => me.refetch()} />;
  if (!me.data) return <RequireUser>{children}</RequireUser>;
  if (me.data.role !== "admin") return <AdminsOnly />;
  return <>{children}</>;
}

function AdminsOnly() {
  usePageTitle("For administrators only");
  return (
    <div className="narrow">
      <h1>For administrators only</h1>
      <p>This part of Model Gallery is for administrators. Your account does not have that role.</p>
      <p>
        <Link to={paths.gallery.href()}>Back to the models</Link>
      </p>
    </div>
  );
}
