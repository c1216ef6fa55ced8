import { afterEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { ContactPage } from "./ContactPage";

afterEach(() => vi.unstubAllGlobals());

describe("ContactPage", () => {
  it("shows every problem before sending, and sends nothing", async () => {
    const { fetchStub, calls } = stubFetch({ "GET /api/auth/session": () => ({ body: { user: null } }) });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<ContactPage />);
    await user.type(screen.getByLabelText("Message"), "short");
    await user.click(screen.getByRole("button", { name: /send/i }));
    expect(await screen.findByText("Please correct 4 fields below.")).toBeInTheDocument();
    expect(screen.getByText("Please write at least 10 characters.")).toBeInTheDocument();
    expect(screen.getByLabelText("Your name")).toHaveAttribute("aria-invalid", "true");
    expect(calls.some((c) => c.url.endsWith("/api/contact"))).toBe(false);
  });

  it("sends a valid message and confirms it clearly", async () => {
    const { fetchStub, calls } = stubFetch({
      "GET /api/auth/session": () => ({ body: { user: null } }),
      "POST /api/contact": () => ({ status: 202, body: { id: "m1", delivery: "pending", created_at: "2025-01-01T00:00:00Z" } }),
    });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<ContactPage />);
    await user.type(screen.getByLabelText("Your name"), " Ada ");
    await user.type(screen.getByLabelText("Your e-mail"), "ada@example.org");
    await user.type(screen.getByLabelText("Subject"), "Hello");
    await user.type(screen.getByLabelText("Message"), "A question about the models.");
    await user.click(screen.getByRole("button", { name: /send/i }));
    expect(await screen.findByText("Your message was received.")).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("being passed on to the team by e-mail; they will answer");
    const sent = calls.find((c) => c.url.endsWith("/api/contact"))!;
    expect(await sent.json()).toEqual({ name: "Ada", email: "ada@example.org", subject: "Hello", message: "A question about the models." });
  });

  it("promises no e-mail answer when the server has no mail server", async () => {
    const { fetchStub } = stubFetch({
      "GET /api/auth/session": () => ({ body: { user: null } }),
      "POST /api/contact": () => ({ status: 202, body: { id: "m2", delivery: "not_configured", created_at: "2025-01-01T00:00:00Z" } }),
    });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<ContactPage />);
    await user.type(screen.getByLabelText("Your name"), "Ada");
    await user.type(screen.getByLabelText("Your e-mail"), "ada@example.org");
    await user.type(screen.getByLabelText("Subject"), "Hello");
    await user.type(screen.getByLabelText("Message"), "A question about the models.");
    await user.click(screen.getByRole("button", { name: /send/i }));
    const status = await screen.findByRole("status");
    expect(status).toHaveTextContent("stored on this site for the team to read");
    expect(status).not.toHaveTextContent(/will answer/);
  });

  it("explains the hourly limit (429)", async () => {
    const { fetchStub } = stubFetch({
      "GET /api/auth/session": () => ({ body: { user: null } }),
      "POST /api/contact": () => ({
        status: 429,
        body: { detail: "too many messages from your address; try again later", code: "too_many_requests" },
        headers: { "Retry-After": "120" },
      }),
    });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<ContactPage />);
    await user.type(screen.getByLabelText("Your name"), "Ada");
    await user.type(screen.getByLabelText("Your e-mail"), "ada@example.org");
    await user.type(screen.getByLabelText("Subject"), "Hello");
    await user.type(screen.getByLabelText("Message"), "A question about the models.");
    await user.click(screen.getByRole("button", { name: /send/i }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Too many requests");
    expect(alert).toHaveTextContent("Please wait 120 seconds, then try again.");
  });
});
