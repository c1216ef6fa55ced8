import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { RequireAdmin } from "./Guards";

afterEach(() => vi.unstubAllGlobals());

const user = (role: "user" | "admin") => ({ id: "u1", email: "u@example.org", name: "U", role, created_at: "2025-01-01T00:00:00Z" });

describe("RequireAdmin", () => {
  it("shows a plain user the 'administrators only' page", async () => {
    vi.stubGlobal("fetch", stubFetch({ "GET /api/auth/session": () => ({ body: { user: user("user") } }) }).fetchStub);
    renderWithProviders(
      <RequireAdmin>
        <p>secret dashboard</p>
      </RequireAdmin>,
    );
    expect(await screen.findByRole("heading", { name: "For administrators only" })).toBeInTheDocument();
    expect(screen.queryByText("secret dashboard")).not.toBeInTheDocument();
  });

  it("lets an administrator in", async () => {
    vi.stubGlobal("fetch", stubFetch({ "GET /api/auth/session": () => ({ body: { user: user("admin") } }) }).fetchStub);
    renderWithProviders(
      <RequireAdmin>
        <p>secret dashboard</p>
      </RequireAdmin>,
    );
    expect(await screen.findByText("secret dashboard")).toBeInTheDocument();
  });

  it("sends an anonymous visitor to log in, and back afterwards", async () => {
    vi.stubGlobal("fetch", stubFetch({ "GET /api/auth/session": () => ({ body: { user: null } }) }).fetchStub);
    const { router } = renderWithProviders(
      <RequireAdmin>
        <p>secret dashboard</p>
      </RequireAdmin>,
      { path: "/admin", route: "/admin" },
    );
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"));
    expect(router.state.location.search).toBe("?next=%2Fadmin");
  });
});
