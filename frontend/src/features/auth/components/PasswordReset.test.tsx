import { afterEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { ForgotPasswordPage, ResetPasswordPage } from "./PasswordReset";

afterEach(() => vi.unstubAllGlobals());

describe("ForgotPasswordPage", () => {
  it("shows the server's answer, the same for any address", async () => {
    const detail = "If an account uses this address, a link to set a new password is on its way. It works once, for 30 minutes.";
    const { fetchStub, calls } = stubFetch({ "POST /api/auth/password-reset": () => ({ status: 202, body: { detail, mail: true } }) });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<ForgotPasswordPage />);
    await user.type(screen.getByLabelText("E-mail"), " ada@example.org ");
    await user.click(screen.getByRole("button", { name: "Send me a link" }));
    expect(await screen.findByRole("status")).toHaveTextContent(detail);
    expect(await calls[0].json()).toEqual({ email: "ada@example.org" });
  });
});

describe("ResetPasswordPage", () => {
  const route = { path: "/reset-password", route: "/reset-password?token=abc" };

  it("sets the password with the link's token", async () => {
    const { fetchStub, calls } = stubFetch({ "POST /api/auth/password-reset/confirm": () => ({ status: 204 }) });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<ResetPasswordPage />, route);
    await user.type(screen.getByLabelText("New password"), "a fresh long password");
    await user.type(screen.getByLabelText("New password again"), "a fresh long password");
    await user.click(screen.getByRole("button", { name: "Set the password" }));
    expect(await screen.findByText("Your new password is set.")).toBeInTheDocument();
    expect(await calls[0].json()).toEqual({ token: "abc", new_password: "a fresh long password" });
  });

  it("explains a used link and offers a new one", async () => {
    const { fetchStub } = stubFetch({
      "POST /api/auth/password-reset/confirm": () => ({
        status: 410,
        body: { detail: "this link was used already, or the password has changed since it was sent; ask for a new one", code: "gone" },
      }),
    });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<ResetPasswordPage />, route);
    await user.type(screen.getByLabelText("New password"), "a fresh long password");
    await user.type(screen.getByLabelText("New password again"), "a fresh long password");
    await user.click(screen.getByRole("button", { name: "Set the password" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This link cannot be used");
    expect(alert).toHaveTextContent("This link was used already");
    expect(screen.getByRole("link", { name: "Ask for a new link" })).toHaveAttribute("href", "/forgot-password");
  });
});
