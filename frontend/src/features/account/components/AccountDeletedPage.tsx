import { Link, useLocation } from "react-router";
import { usePageTitle } from "@/components/PageTitle";
import { paths } from "@/config/paths";

/** After the account was deleted (the session ended with it). */
export function AccountDeletedPage() {
  usePageTitle("Account deleted");
  const state = useLocation().state as { email?: string; predictions?: number } | null;
  const count = state?.predictions;
  return (
    <div className="narrow">
      <h1>Account deleted</h1>
      <div className="alert alert-success" role="status">
        <p className="alert-title">{state?.email ? `The account ${state.email} was deleted.` : "The account was deleted."}</p>
        {count !== undefined && <p>{count === 1 ? "1 prediction was deleted with it." : `${count} predictions were deleted with it.`}</p>}
      </div>
      <p>
        <Link to={paths.gallery.href()}>Go to the models</Link>
      </p>
    </div>
  );
}
