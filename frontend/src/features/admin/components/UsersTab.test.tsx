import { afterEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { UsersTab } from "./UsersTab";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const admin = { id: "a1", email: "admin@example.org", name: "", role: "admin", created_at: "2026-01-01T00:00:00Z", disabled: false };
const ada = { ...admin, id: "u1", email: "ada@example.org", role: "user" };

describe("UsersTab", () => {
  it("hands out the one-time reset link when the server sends no mail", async () => {
    const link = "https://gallery.example/reset-password?token=abc";
    const { fetchStub, calls } = stubFetch({
      "GET /api/auth/session": () => ({ body: { user: admin } }),
      "GET /api/admin/users": () => ({ body: { data: [admin, ada], count: 2 } }),
      "POST /api/admin/users/u1/password-reset": () => ({
        body: { mailed: false, link, expires_at: "2026-01-01T00:30:00Z", detail: "This server sends no mail: pass this link on to the user yourself." },
      }),
    });
    vi.stubGlobal("fetch", fetchStub);
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    const user = userEvent.setup();
    renderWithProviders(<UsersTab />);
    await user.click(await screen.findByRole("button", { name: /^Send reset link ?to ada@example\.org$/ }));
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining("ada@example.org"));
    expect(await screen.findByLabelText("One-time link")).toHaveValue(link);
    expect(screen.getByRole("status")).toHaveTextContent("pass this link on");
    expect(calls.some((c) => c.method === "POST" && c.url.endsWith("/api/admin/users/u1/password-reset"))).toBe(true);
  });

  it("finds users by their address, as the audit log links them", async () => {
    const asked: string[] = [];
    const { fetchStub } = stubFetch({
      "GET /api/auth/session": () => ({ body: { user: admin } }),
      "GET /api/admin/users": (request) => {
        asked.push(new URL(request.url).searchParams.get("email") ?? "");
        return { body: { data: [ada], count: 1 } };
      },
    });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<UsersTab />, { route: "/?email=ada%40example.org" });
    expect(await screen.findByText("ada@example.org")).toBeInTheDocument();
    expect(screen.getByLabelText("E-mail contains")).toHaveValue("ada@example.org");
    expect(asked).toContain("ada@example.org");
    await user.click(screen.getByRole("button", { name: "Show everyone" }));
    await vi.waitFor(() => expect(asked.at(-1)).toBe(""));
  });
});
