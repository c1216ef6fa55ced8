// The single HTTP client: openapi-fetch over the generated schema. The session is the
// HttpOnly cookie the backend sets at log-in (credentials: "same-origin"); no token is ever
// kept in JavaScript, so <img> and <video> of private results load with the same cookie.
import createClient, { type Middleware } from "openapi-fetch";
import type { paths } from "./schema";
import { ApiError, apiErrorFrom, NETWORK_ERROR_STATUS } from "./errors";

export const api = createClient<paths>({
  // absolute, so that the same client runs in tests (Node's Request wants absolute URLs)
  baseUrl: typeof location !== "undefined" ? location.origin : "",
  credentials: "same-origin",
  // looked up on every call (not captured once), so tests can stub fetch
  fetch: (request: Request) => globalThis.fetch(request),
  headers: { Accept: "application/json" },
});

const unauthorizedListeners = new Set<() => void>();

/** Called whenever the API answers 401 (the session ended): the auth state refreshes. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const notifyUnauthorized: Middleware = {
  onResponse({ response, request }) {
    if (response.status === 401 && !new URL(request.url, "http://x").pathname.startsWith("/api/auth/")) {
      unauthorizedListeners.forEach((listener) => listener());
    }
    return undefined;
  },
};
api.use(notifyUnauthorized);

type FetchResult<T> = { data?: T; error?: unknown; response: Response };

/** The data of an openapi-fetch call, or an ApiError with the server's {detail, code}. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(NETWORK_ERROR_STATUS, "The server could not be reached.", "network");
  }
  const { data, error, response } = result;
  if (!response.ok) {
    throw apiErrorFrom(response.status, error, response.headers.get("Retry-After"));
  }
  return data as T;
}
