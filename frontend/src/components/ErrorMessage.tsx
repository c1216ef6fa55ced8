import { Link, useLocation } from "react-router";
import { ApiError, describeError, type ErrorContext } from "@/api/errors";
import { paths } from "@/config/paths";

interface Props {
  error: unknown;
  context?: ErrorContext;
  onRetry?: () => void;
  retryLabel?: string;
}

/** An API (or any) error as a person reads it: what happened, the server's words, what to do. */
export function ErrorMessage({ error, context, onRetry, retryLabel = "Try again" }: Props) {
  const location = useLocation();
  if (!error) return null;
  const described = describeError(error, context);
  const showDetail = described.detail && described.detail !== described.title;
  // asking again does not change a refusal (4xx), except "too many requests" later on
  const retryable = !(error instanceof ApiError) || error.status === 0 || error.status === 429 || error.status >= 500;
  const notFound = error instanceof ApiError && error.status === 404;
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">{described.title}</p>
      {showDetail && <p>{capitalise(described.detail)}</p>}
      {described.action && <p>{described.action}</p>}
      <div className="alert-actions">
        {described.login && (
          <Link className="button" to={paths.login.href(location.pathname + location.search)}>
            Log in
          </Link>
        )}
        {notFound && (
          <Link className="button secondary" to={paths.gallery.href()}>
            Go to the models
          </Link>
        )}
        {onRetry && retryable && (
          <button type="button" className="button secondary" onClick={onRetry}>
            {retryLabel}
          </button>
        )}
      </div>
    </div>
  );
}

function capitalise(text: string): string {
  const trimmed = text.trim();
  const sentence = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
