import { useRef, useState, type FormEvent } from "react";
import { ApiError } from "@/api/errors";
import type { User } from "@/api/types";
import { ErrorMessage } from "@/components/ErrorMessage";
import { TextField } from "@/components/TextField";
import { sentence } from "@/lib/sentence";
import { useChangeEmail } from "../api";
import { checkEmail, type Errors } from "../validation";

type Field = "email" | "password";

/** A new e-mail address: it takes effect once the link mailed to it is opened. */
export function EmailSection({ user }: { user: User }) {
  const change = useChangeEmail();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Errors<Field>>({});
  const passwordInput = useRef<HTMLInputElement>(null);
  const wrongPassword = change.error instanceof ApiError && change.error.status === 403 ? sentence(change.error.detail) : null;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Errors<Field> = {};
    const invalid = checkEmail(email);
    if (invalid) found.email = invalid;
    else if (email.trim().toLowerCase() === user.email) found.email = "This is your address already.";
    if (!password) found.password = "Enter your current password.";
    setErrors(found);
    if (Object.keys(found).length) return;
    try {
      await change.mutateAsync({ new_email: email.trim(), current_password: password });
      setEmail("");
      setPassword("");
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) passwordInput.current?.focus();
    }
  };

  return (
    <section className="panel account-section" aria-labelledby="email-heading">
      <h2 id="email-heading">E-mail address</h2>
      <p>
        You log in with <strong className="break">{user.email}</strong>. A new address takes effect once you open the link we mail to it.
      </p>
      <form className="form" onSubmit={onSubmit} noValidate>
        <TextField id="email-new" label="New e-mail address" type="email" autoComplete="email" value={email} onChange={setEmail} error={errors.email} />
        <TextField
          id="email-password"
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
          error={errors.password ?? wrongPassword}
          announce={Boolean(wrongPassword)}
          inputRef={passwordInput}
        />
        {change.isError && !wrongPassword && <ErrorMessage error={change.error} />}
        {change.isSuccess && (
          <p className="alert alert-success" role="status">
            {change.data.detail}
          </p>
        )}
        <button type="submit" className="button primary" disabled={change.isPending}>
          {change.isPending ? "Sending the link…" : "Send a confirmation link"}
        </button>
      </form>
    </section>
  );
}
