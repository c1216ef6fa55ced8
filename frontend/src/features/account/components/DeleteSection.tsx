import { useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { ApiError } from "@/api/errors";
import { ErrorMessage } from "@/components/ErrorMessage";
import { TextField } from "@/components/TextField";
import { paths } from "@/config/paths";
import { sentence } from "@/lib/sentence";
import { useDeleteAccount } from "../api";

/** Delete the account, after saying what goes with it and asking for the password. */
export function DeleteSection({ email }: { email: string }) {
  const remove = useDeleteAccount();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const [understood, setUnderstood] = useState(false);
  const [errors, setErrors] = useState<{ password?: string; understood?: string }>({});
  const passwordInput = useRef<HTMLInputElement>(null);
  const wrongPassword = remove.error instanceof ApiError && remove.error.status === 403 ? sentence(remove.error.detail) : null;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found: typeof errors = {};
    if (!password) found.password = "Enter your current password.";
    if (!understood) found.understood = "Tick the box to confirm that you want to delete all of this.";
    setErrors(found);
    if (Object.keys(found).length) return;
    try {
      const { predictions_deleted } = await remove.mutateAsync(password);
      navigate(paths.accountDeleted.href(), { replace: true, state: { email, predictions: predictions_deleted } });
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) passwordInput.current?.focus();
    }
  };

  return (
    <section className="panel account-section danger-zone" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete the account</h2>
      <p>Deleting your account removes, for good and at once:</p>
      <ul>
        <li>
          the account itself (<span className="break">{email}</span>, your name and your password),
        </li>
        <li>every prediction you made, with the files you uploaded and every result,</li>
        <li>every session: you are logged out everywhere.</li>
      </ul>
      <p>It cannot be undone. Download any result you want to keep first.</p>
      {!open ? (
        <button type="button" className="button danger" onClick={() => setOpen(true)}>
          Delete my account…
        </button>
      ) : (
        <form className="form" onSubmit={onSubmit} noValidate>
          <TextField
            id="delete-password"
            label="Current password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={setPassword}
            error={errors.password ?? wrongPassword}
            announce={Boolean(wrongPassword)}
            inputRef={passwordInput}
            autoFocus
          />
          <div className="field field-check">
            <input
              id="delete-understood"
              type="checkbox"
              checked={understood}
              onChange={(event) => setUnderstood(event.target.checked)}
              aria-invalid={errors.understood ? true : undefined}
              aria-describedby={errors.understood ? "delete-understood-error" : undefined}
            />
            <label htmlFor="delete-understood">I want to delete my account and all my predictions.</label>
            {errors.understood && (
              <p id="delete-understood-error" className="field-error hint">
                {errors.understood}
              </p>
            )}
          </div>
          {remove.isError && !wrongPassword && <ErrorMessage error={remove.error} />}
          <div className="button-row">
            <button type="submit" className="button danger" disabled={remove.isPending}>
              {remove.isPending ? "Deleting…" : "Delete the account and its predictions"}
            </button>
            <button type="button" className="button secondary" onClick={() => setOpen(false)}>
              Keep the account
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
