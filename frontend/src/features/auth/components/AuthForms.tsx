import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useLogin, useSignup } from "@/api/auth";
import { paths, safeNext } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { usePageTitle } from "@/components/PageTitle";

export const PASSWORD_MIN = 10;

export function validateSignup(values: { email: string; password: string; name: string }): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!values.email.trim()) errors.email = "Enter your e-mail address.";
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email.trim())) errors.email = "Enter a valid e-mail address, like name@example.org.";
  if (values.password.length < PASSWORD_MIN) errors.password = `Use at least ${PASSWORD_MIN} characters.`;
  else if (values.password.length > 256) errors.password = "Use at most 256 characters.";
  if (values.name.length > 100) errors.name = "Keep the name to at most 100 characters.";
  return errors;
}

export function LoginPage() {
  usePageTitle("Log in");
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const login = useLogin();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const next = safeNext(search.get("next"));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await login.mutateAsync({ email: email.trim(), password });
      navigate(next, { replace: true });
    } catch {
      /* shown below */
    }
  };

  return (
    <div className="narrow">
      <h1>Log in</h1>
      <form className="panel form" onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor="login-email">E-mail</label>
          <input id="login-email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input id="login-password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          <p className="hint">
            <Link to={paths.forgotPassword.href()}>Forgot password?</Link>
          </p>
        </div>
        {login.isError && <ErrorMessage error={login.error} />}
        <button type="submit" className="button primary" disabled={login.isPending}>
          {login.isPending ? "Logging in…" : "Log in"}
        </button>
      </form>
      <p>
        No account yet? <Link to={paths.signup.href(search.get("next") ?? undefined)}>Sign up</Link>
      </p>
    </div>
  );
}

export function SignupPage() {
  usePageTitle("Sign up");
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const signup = useSignup();
  const [values, setValues] = useState({ email: "", password: "", name: "" });
  const [submitted, setSubmitted] = useState(false);
  const errors = submitted ? validateSignup(values) : {};
  const set = (key: keyof typeof values) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [key]: event.target.value }));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(validateSignup(values)).length) return;
    try {
      await signup.mutateAsync({ email: values.email.trim(), password: values.password, name: values.name.trim() });
      navigate(safeNext(search.get("next")), { replace: true });
    } catch {
      /* shown below */
    }
  };

  const field = (key: "email" | "password" | "name", label: string, type: string, autoComplete: string, hint?: string) => (
    <div className="field">
      <label htmlFor={`signup-${key}`}>{label}</label>
      <input
        id={`signup-${key}`}
        type={type}
        autoComplete={autoComplete}
        value={values[key]}
        onChange={set(key)}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={[hint ? `signup-${key}-hint` : "", errors[key] ? `signup-${key}-error` : ""].filter(Boolean).join(" ") || undefined}
      />
      {hint && (
        <p id={`signup-${key}-hint`} className="hint">
          {hint}
        </p>
      )}
      {errors[key] && (
        <p id={`signup-${key}-error`} className="field-error">
          {errors[key]}
        </p>
      )}
    </div>
  );

  return (
    <div className="narrow">
      <h1>Sign up</h1>
      <p>An account keeps a history of your predictions; nobody else can open them.</p>
      <form className="panel form" onSubmit={onSubmit} noValidate>
        {field("name", "Name (optional)", "text", "name")}
        {field("email", "E-mail", "email", "email")}
        {field("password", "Password", "password", "new-password", `At least ${PASSWORD_MIN} characters.`)}
        {signup.isError && <ErrorMessage error={signup.error} />}
        <button type="submit" className="button primary" disabled={signup.isPending}>
          {signup.isPending ? "Creating the account…" : "Create the account"}
        </button>
      </form>
      <p>
        Have an account? <Link to={paths.login.href(search.get("next") ?? undefined)}>Log in</Link>
      </p>
    </div>
  );
}
