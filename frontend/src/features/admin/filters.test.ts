import { describe, expect, it } from "vitest";
import {
  EMPTY_FILTERS,
  filtersFromSearch,
  filtersProblem,
  filtersToSearch,
  localToIso,
  nextSort,
  toApiQuery,
  toQueryString,
} from "./filters";

describe("admin filters → query string", () => {
  it("sends only the defaults when nothing is filtered", () => {
    expect(toQueryString(toApiQuery(EMPTY_FILTERS))).toBe("sort=created&order=desc&offset=0&limit=25");
  });

  it("sends every filter that is set, trimmed", () => {
    const query = toApiQuery({
      ...EMPTY_FILTERS,
      model: " object-detection ",
      user: "ada@",
      status: "failed",
      name: "bus",
      sort: "duration",
      order: "asc",
      page: 2,
      limit: 50,
    });
    expect(toQueryString(query)).toBe(
      "model=object-detection&user=ada%40&status=failed&name=bus&sort=duration&order=asc&offset=100&limit=50",
    );
  });

  it("turns local date and time into an ISO instant", () => {
    const iso = localToIso("2025-03-01T10:30");
    expect(iso).toBe(new Date(2025, 2, 1, 10, 30).toISOString());
    const query = toApiQuery({ ...EMPTY_FILTERS, since: "2025-03-01T10:30", until: "2025-03-02T00:00" });
    expect(query.since).toBe(new Date(2025, 2, 1, 10, 30).toISOString());
    expect(query.until).toBe(new Date(2025, 2, 2, 0, 0).toISOString());
    expect(toQueryString(query)).toContain(`since=${encodeURIComponent(query.since!)}`);
  });

  it("leaves out dates that are not valid", () => {
    expect(localToIso("yesterday")).toBe("");
    expect(toApiQuery({ ...EMPTY_FILTERS, since: "2025-13-45T99:99" }).since).toBeUndefined();
  });

  it("round-trips through the page URL and drops defaults from it", () => {
    const filters = { ...EMPTY_FILTERS, user: "bob", status: "succeeded" as const, sort: "user" as const, order: "asc" as const, page: 3 };
    const search = filtersToSearch(filters);
    expect(search.toString()).toBe("user=bob&status=succeeded&sort=user&order=asc&page=3");
    expect(filtersFromSearch(search)).toEqual(filters);
    expect(filtersToSearch(EMPTY_FILTERS).toString()).toBe("");
  });

  it("ignores unknown values in the URL", () => {
    const filters = filtersFromSearch(new URLSearchParams("sort=drop&order=sideways&status=exploded&page=-1&limit=7"));
    expect(filters).toEqual(EMPTY_FILTERS);
  });

  it("says when 'from' is not before 'to'", () => {
    expect(filtersProblem({ ...EMPTY_FILTERS, since: "2025-03-02T00:00", until: "2025-03-01T00:00" })).toMatch(/before/);
    expect(filtersProblem({ ...EMPTY_FILTERS, since: "2025-03-01T00:00", until: "2025-03-02T00:00" })).toBeNull();
  });

  it("sorts: another column starts at page one; the same column flips the order", () => {
    const byUser = nextSort({ ...EMPTY_FILTERS, page: 4 }, "user");
    expect(byUser).toMatchObject({ sort: "user", order: "asc", page: 0 });
    expect(nextSort(byUser, "user")).toMatchObject({ sort: "user", order: "desc" });
    expect(nextSort(byUser, "duration")).toMatchObject({ sort: "duration", order: "desc" });
  });
});
