import { useRef, useState, type FormEvent } from "react";
import { ApiError } from "@/api/errors";
import { ErrorMessage } from "@/components/ErrorMessage";
import { TextField } from "@/components/TextField";
import { useChangePassword } from "../api";
import { checkNewPassword, PASSWORD_MIN, type Errors } from "../validation";
import { sentence } from "@/lib/sentence";

type Field = "current" | "password" | "again";

/** Change the password, given the current one; the other sessions are signed out. */
export function PasswordSection() {
  const change = useChangePassword();
  const [values, setValues] = useState({ current: "", password: "", again: "" });
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [done, setDone] = useState<string | null>(null);
  const first = useRef<HTMLInputElement>(null);
  const set = (key: Field) => (value: string) => setValues((current) => ({ ...current, [key]: value }));

  // a wrong current password belongs to its field; anything else is shown below the form
  const wrongCurrent = change.error instanceof ApiError && change.error.status === 403 ? sentence(change.error.detail) : null;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    const found: Errors<Field> = { ...checkNewPassword(values.password, values.again) };
    if (!values.current) found.current = "Enter your current password.";
    setErrors(found);
    if (Object.keys(found).length) return;
    try {
      const { signed_out } = await change.mutateAsync({ current_password: values.current, new_password: values.password });
      setValues({ current: "", password: "", again: "" });
      setDone(
        signed_out === 0
          ? "Your password was changed."
          : `Your password was changed; ${signed_out === 1 ? "1 other session was" : `${signed_out} other sessions were`} signed out.`,
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) first.current?.focus();
    }
  };

  return (
    <section className="panel account-section" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <p className="muted">Changing it signs out every other session of your account; this one stays.</p>
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField
          id="password-current"
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={values.current}
          onChange={set("current")}
          error={errors.current ?? wrongCurrent}
          announce={Boolean(wrongCurrent)}
          inputRef={first}
        />
        <TextField
          id="password-new"
          label="New password"
          type="password"
          autoComplete="new-password"
          value={values.password}
          onChange={set("password")}
          hint={`At least ${PASSWORD_MIN} characters.`}
          error={errors.password}
        />
        <TextField
          id="password-again"
          label="New password again"
          type="password"
          autoComplete="new-password"
          value={values.again}
          onChange={set("again")}
          error={errors.again}
        />
        {change.isError && !wrongCurrent && <ErrorMessage error={change.error} />}
        {done && (
          <p className="alert alert-success" role="status">
            {done}
          </p>
        )}
        <button type="submit" className="button primary" disabled={change.isPending}>
          {change.isPending ? "Changing the password…" : "Change the password"}
        </button>
      </form>
    </section>
  );
}
