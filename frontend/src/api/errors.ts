// Every API error is JSON {detail, code}; ApiError carries it with the status and the
// Retry-After header, and describeError() turns it into what a person should read and do.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly retryAfter: number | null;

  constructor(status: number, detail: string, code = "error", retryAfter: number | null = null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.retryAfter = retryAfter;
  }
}

/** Status 0: the request never got an answer (offline, server down, aborted). */
export const NETWORK_ERROR_STATUS = 0;

export function parseRetryAfter(value: string | null | undefined): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** An ApiError from a response's status, body (parsed JSON or text) and headers. */
export function apiErrorFrom(status: number, body: unknown, retryAfterHeader?: string | null): ApiError {
  let detail = "";
  let code = "error";
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    if (typeof record.detail === "string") detail = record.detail;
    else if (Array.isArray(record.detail)) {
      // FastAPI's default validation shape, in case a route answers it
      detail = record.detail
        .map((item) => (item && typeof item === "object" && "msg" in item ? String(item.msg) : String(item)))
        .join("; ");
    }
    if (typeof record.code === "string") code = record.code;
  } else if (typeof body === "string" && body.trim() && body.length < 300 && !body.trimStart().startsWith("<")) {
    detail = body.trim();
  }
  return new ApiError(status, detail || defaultDetail(status), code, parseRetryAfter(retryAfterHeader));
}

function defaultDetail(status: number): string {
  if (status === NETWORK_ERROR_STATUS) return "The server could not be reached.";
  if (status >= 500) return `The server answered with an error (${status}).`;
  return `The request was refused (${status}).`;
}

export interface ErrorContext {
  /** the model's size limit as the page writes it ("2 MB"), for 413 */
  uploadLimit?: string;
  /** what the model takes, in words, for 415 */
  accepts?: string;
}

export interface DescribedError {
  title: string;
  /** the server's own sentence (or ours when it said nothing useful) */
  detail: string;
  /** what to do next */
  action: string | null;
  /** show a log-in link */
  login: boolean;
  retryAfter: number | null;
}

function seconds(n: number): string {
  return n === 1 ? "1 second" : `${n} seconds`;
}

/** What to show a person for any error thrown by the API client, the upload or the app. */
export function describeError(error: unknown, context: ErrorContext = {}): DescribedError {
  if (!(error instanceof ApiError)) {
    const message = error instanceof Error ? error.message : String(error ?? "");
    return {
      title: "Something went wrong",
      detail: message || "An unexpected error happened.",
      action: "Reload the page and try again.",
      login: false,
      retryAfter: null,
    };
  }
  const { status, detail, retryAfter } = error;
  const base = { detail, login: false, retryAfter };
  switch (true) {
    case status === NETWORK_ERROR_STATUS:
      return {
        ...base,
        title: "No connection to the server",
        action: "Check your connection and try again.",
      };
    case status === 400:
      return { ...base, title: "The request was not accepted", action: "Check what you sent and try again." };
    case status === 401:
      return { ...base, title: "Please log in", action: "Log in (or sign up), then try again.", login: true };
    case status === 403:
      return {
        ...base,
        title: "Not allowed",
        action: "This needs an account with more rights; ask an administrator if you think you should have them.",
      };
    case status === 404:
      return { ...base, title: "Not found", action: "Check the address, or start again from the models." };
    case status === 409:
      return { ...base, title: "Not possible right now", action: null };
    case status === 413:
      return {
        ...base,
        title: "The file is too large",
        action:
          context.uploadLimit !== undefined
            ? `Choose a smaller file (limit ${context.uploadLimit}).`
            : "Choose a smaller file.",
      };
    case status === 415:
      return {
        ...base,
        title: "This model cannot read that file",
        action: context.accepts ? `Choose a file this model accepts: ${context.accepts}.` : "Choose a different file.",
      };
    case status === 422:
      return { ...base, title: "Please check your input", action: "Correct the value and try again." };
    case status === 429:
      return {
        ...base,
        title: "Too many requests",
        action: retryAfter !== null ? `Please wait ${seconds(retryAfter)}, then try again.` : "Please wait a little, then try again.",
      };
    case status === 503:
      if (retryAfter !== null) {
        return { ...base, title: "The server is busy", action: `Try again in ${seconds(retryAfter)}.` };
      }
      return {
        ...base,
        title: "Not available right now",
        action: "The model is not ready; try again later or pick another model.",
      };
    case status === 507:
      return {
        ...base,
        title: "The server is out of storage space",
        action: "Try again later, once the administrator has freed space.",
      };
    default:
      return {
        ...base,
        title: status >= 500 ? "Server error" : "The request failed",
        action: "Try again; if it keeps happening, use the contact page to tell us.",
      };
  }
}
