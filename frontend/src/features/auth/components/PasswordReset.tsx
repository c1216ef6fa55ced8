import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { ApiError } from "@/api/errors";
import { ErrorMessage } from "@/components/ErrorMessage";
import { usePageTitle } from "@/components/PageTitle";
import { TextField } from "@/components/TextField";
import { paths } from "@/config/paths";
import { sentence } from "@/lib/sentence";
import { useConfirmReset, useRequestReset } from "../api";
import { PASSWORD_MIN } from "./AuthForms";

/** "Forgot password?": a link to set a new one is mailed, if an account uses the address. */
export function ForgotPasswordPage() {
  usePageTitle("Forgot password");
  const request = useRequestReset();
  const [email, setEmail] = useState("");
  const [error, setError] = useState<string | null>(null);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = email.trim();
    const invalid = !trimmed ? "Enter your e-mail address." : /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed) ? null : "Enter a valid e-mail address, like name@example.org.";
    setError(invalid);
    if (invalid) return;
    try {
      await request.mutateAsync(trimmed);
    } catch {
      /* shown below */
    }
  };

  return (
    <div className="narrow">
      <h1>Forgot password</h1>
      {request.isSuccess ? (
        <div className={`alert ${request.data.mail ? "alert-success" : "alert-warning"}`} role="status">
          <p>{request.data.detail}</p>
          {request.data.mail && <p>Nothing came? Look in the spam folder, or ask again in a few minutes.</p>}
        </div>
      ) : (
        <>
          <p>Enter the address you log in with; we mail you a link to set a new password.</p>
          <form className="panel form" onSubmit={onSubmit} noValidate>
            <TextField id="forgot-email" label="E-mail" type="email" autoComplete="username" value={email} onChange={setEmail} error={error} />
            {request.isError && <ErrorMessage error={request.error} />}
            <button type="submit" className="button primary" disabled={request.isPending}>
              {request.isPending ? "Sending…" : "Send me a link"}
            </button>
          </form>
        </>
      )}
      <p>
        <Link to={paths.login.href()}>Back to log in</Link>
      </p>
    </div>
  );
}

/** Where a reset mail's link leads: choose the new password (the link works once). */
export function ResetPasswordPage() {
  usePageTitle("Set a new password");
  const [search] = useSearchParams();
  const token = search.get("token") ?? "";
  const reset = useConfirmReset();
  const [values, setValues] = useState({ password: "", again: "" });
  const [errors, setErrors] = useState<{ password?: string; again?: string }>({});
  // a used, expired or damaged link (the server's other 422s are about the password)
  const refused = reset.error instanceof ApiError && (reset.error.status === 410 || reset.error.detail.startsWith("this link")) ? reset.error : null;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found: typeof errors = {};
    if (values.password.length < PASSWORD_MIN) found.password = `Use at least ${PASSWORD_MIN} characters.`;
    else if (values.password.length > 256) found.password = "Use at most 256 characters.";
    else if (values.again !== values.password) found.again = "The two passwords differ; type the new one again.";
    setErrors(found);
    if (Object.keys(found).length) return;
    try {
      await reset.mutateAsync({ token, new_password: values.password });
    } catch {
      /* shown below */
    }
  };

  if (!token) {
    return (
      <div className="narrow">
        <h1>Set a new password</h1>
        <p>This page needs the whole link from the mail; open it from there, or ask for a new one.</p>
        <p>
          <Link to={paths.forgotPassword.href()}>Ask for a link</Link>
        </p>
      </div>
    );
  }
  return (
    <div className="narrow">
      <h1>Set a new password</h1>
      {reset.isSuccess ? (
        <div className="alert alert-success" role="status">
          <p className="alert-title">Your new password is set.</p>
          <p>Every session of your account was signed out. Log in with the new password.</p>
          <div className="alert-actions">
            <Link className="button primary" to={paths.login.href()}>
              Log in
            </Link>
          </div>
        </div>
      ) : (
        <form className="panel form" onSubmit={onSubmit} noValidate>
          <TextField
            id="reset-password"
            label="New password"
            type="password"
            autoComplete="new-password"
            value={values.password}
            onChange={(password) => setValues((current) => ({ ...current, password }))}
            hint={`At least ${PASSWORD_MIN} characters.`}
            error={errors.password}
          />
          <TextField
            id="reset-again"
            label="New password again"
            type="password"
            autoComplete="new-password"
            value={values.again}
            onChange={(again) => setValues((current) => ({ ...current, again }))}
            error={errors.again}
          />
          {refused ? (
            <div className="alert alert-error" role="alert">
              <p className="alert-title">This link cannot be used</p>
              <p>{sentence(refused.detail)}</p>
              <div className="alert-actions">
                <Link className="button" to={paths.forgotPassword.href()}>
                  Ask for a new link
                </Link>
              </div>
            </div>
          ) : (
            reset.isError && <ErrorMessage error={reset.error} />
          )}
          <button type="submit" className="button primary" disabled={reset.isPending}>
            {reset.isPending ? "Setting the password…" : "Set the password"}
          </button>
        </form>
      )}
    </div>
  );
}
