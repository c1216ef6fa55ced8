import { Link, useSearchParams } from "react-router";
import { ApiError } from "@/api/errors";
import { ErrorMessage } from "@/components/ErrorMessage";
import { usePageTitle } from "@/components/PageTitle";
import { paths } from "@/config/paths";
import { sentence } from "@/lib/sentence";
import { useConfirmEmail } from "../api";

/** Where the link mailed to a new address leads. A click confirms it (a mail scanner that
 * opens links changes nothing). */
export function ConfirmEmailPage() {
  usePageTitle("Confirm your new e-mail address");
  const [search] = useSearchParams();
  const token = search.get("token") ?? "";
  const confirm = useConfirmEmail();
  const refused = confirm.error instanceof ApiError && [410, 422].includes(confirm.error.status) ? confirm.error : null;

  return (
    <div className="narrow">
      <h1>Confirm your new e-mail address</h1>
      {!token ? (
        <p>This page needs the whole link from the mail we sent to your new address; open it from there.</p>
      ) : confirm.isSuccess ? (
        <div className="alert alert-success" role="status">
          <p className="alert-title">Your e-mail address is now {confirm.data.email}.</p>
          <p>Log in with it from now on.</p>
        </div>
      ) : (
        <>
          <p>Confirm that this address is yours: your account's e-mail address changes to it.</p>
          {refused ? (
            <div className="alert alert-error" role="alert">
              <p className="alert-title">This link cannot be used</p>
              <p>{sentence(refused.detail)}</p>
              <p>Ask for a new one on your account page.</p>
            </div>
          ) : (
            confirm.isError && <ErrorMessage error={confirm.error} />
          )}
          <button type="button" className="button primary" disabled={confirm.isPending} onClick={() => confirm.mutate(token)}>
            {confirm.isPending ? "Confirming…" : "Confirm the new address"}
          </button>
        </>
      )}
      <p>
        <Link to={paths.account.href()}>Your account</Link>
      </p>
    </div>
  );
}
