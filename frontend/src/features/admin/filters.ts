// The admin predictions table's filters: kept in the page's URL (so a view can be shared and
// survives a reload) and turned into the query of GET /api/admin/predictions.
import type { JobSort, JobStatus } from "@/api/types";
import type { AdminPredictionQuery } from "./api";
import { LOCAL_DATETIME, localToIso } from "@/lib/datetime";

export const SORTS: readonly JobSort[] = ["created", "model", "status", "user", "name", "duration"];
export const STATUSES: readonly JobStatus[] = ["queued", "running", "succeeded", "failed", "cancelled"];
export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_LIMIT = 25;

export interface AdminFilters {
  model: string;
  user: string;
  status: JobStatus | "";
  /** as an <input type="datetime-local"> holds it: local time, "YYYY-MM-DDTHH:mm" */
  since: string;
  until: string;
  name: string;
  sort: JobSort;
  order: "asc" | "desc";
  page: number; // 0-based
  limit: number;
}

export const EMPTY_FILTERS: AdminFilters = {
  model: "",
  user: "",
  status: "",
  since: "",
  until: "",
  name: "",
  sort: "created",
  order: "desc",
  page: 0,
  limit: DEFAULT_LIMIT,
};

export { localToIso };

function positiveInt(value: string | null, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

export function filtersFromSearch(search: URLSearchParams): AdminFilters {
  const sort = search.get("sort") as JobSort | null;
  const status = search.get("status") as JobStatus | null;
  const limit = positiveInt(search.get("limit"), DEFAULT_LIMIT);
  return {
    model: search.get("model") ?? "",
    user: search.get("user") ?? "",
    status: status && STATUSES.includes(status) ? status : "",
    since: LOCAL_DATETIME.test(search.get("since") ?? "") ? search.get("since")! : "",
    until: LOCAL_DATETIME.test(search.get("until") ?? "") ? search.get("until")! : "",
    name: search.get("name") ?? "",
    sort: sort && SORTS.includes(sort) ? sort : "created",
    order: search.get("order") === "asc" ? "asc" : "desc",
    page: positiveInt(search.get("page"), 0),
    limit: (PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_LIMIT,
  };
}

/** The page's own URL query: only what differs from the defaults. */
export function filtersToSearch(filters: AdminFilters): URLSearchParams {
  const search = new URLSearchParams();
  for (const key of ["model", "user", "status", "since", "until", "name"] as const) {
    const value = filters[key].trim();
    if (value) search.set(key, value);
  }
  if (filters.sort !== EMPTY_FILTERS.sort) search.set("sort", filters.sort);
  if (filters.order !== EMPTY_FILTERS.order) search.set("order", filters.order);
  if (filters.page > 0) search.set("page", String(filters.page));
  if (filters.limit !== DEFAULT_LIMIT) search.set("limit", String(filters.limit));
  return search;
}

export function toApiQuery(filters: AdminFilters): AdminPredictionQuery {
  const query: AdminPredictionQuery = {
    sort: filters.sort,
    order: filters.order,
    offset: filters.page * filters.limit,
    limit: filters.limit,
  };
  const model = filters.model.trim();
  const user = filters.user.trim();
  const name = filters.name.trim();
  if (model) query.model = model;
  if (user) query.user = user;
  if (name) query.name = name;
  if (filters.status) query.status = filters.status;
  const since = localToIso(filters.since);
  const until = localToIso(filters.until);
  if (since) query.since = since;
  if (until) query.until = until;
  return query;
}

/** The query string GET /api/admin/predictions is called with (stable key order). */
export function toQueryString(query: AdminPredictionQuery): string {
  const search = new URLSearchParams();
  const order: (keyof AdminPredictionQuery)[] = [
    "model", "user", "status", "since", "until", "name", "sort", "order", "offset", "limit",
  ];
  for (const key of order) {
    const value = query[key];
    if (value !== undefined && value !== "") search.set(key, String(value));
  }
  return search.toString();
}

/** A problem with the filters to show before asking the server, or null. */
export function filtersProblem(filters: AdminFilters): string | null {
  if (filters.since && !localToIso(filters.since)) return "The 'from' date is not a valid date and time.";
  if (filters.until && !localToIso(filters.until)) return "The 'to' date is not a valid date and time.";
  const since = localToIso(filters.since);
  const until = localToIso(filters.until);
  if (since && until && since >= until) return "The 'from' date must be before the 'to' date.";
  return null;
}

/** Clicking a column header: the same column flips the order, another starts descending
 * (newest, longest, Z-A) for time-like columns and ascending for names. */
export function nextSort(filters: AdminFilters, column: JobSort): AdminFilters {
  if (filters.sort === column) {
    return { ...filters, order: filters.order === "asc" ? "desc" : "asc", page: 0 };
  }
  const descending = column === "created" || column === "duration";
  return { ...filters, sort: column, order: descending ? "desc" : "asc", page: 0 };
}
