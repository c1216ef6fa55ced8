import { afterEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { PasswordSection } from "./PasswordSection";

afterEach(() => vi.unstubAllGlobals());

async function fill(current: string, password: string, again = password) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("Current password"), current);
  await user.type(screen.getByLabelText("New password"), password);
  await user.type(screen.getByLabelText("New password again"), again);
  await user.click(screen.getByRole("button", { name: "Change the password" }));
}

describe("PasswordSection", () => {
  it("checks the new password before sending anything", async () => {
    const { fetchStub, calls } = stubFetch({});
    vi.stubGlobal("fetch", fetchStub);
    renderWithProviders(<PasswordSection />);
    await fill("the old password", "a new long password", "a new long passwort");
    expect(screen.getByLabelText("New password again")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("The two passwords differ; type the new one again.")).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it("puts a wrong current password on its field, and announces it", async () => {
    const { fetchStub } = stubFetch({
      "POST /api/account/password": () => ({ status: 403, body: { detail: "the current password is not right", code: "forbidden" } }),
    });
    vi.stubGlobal("fetch", fetchStub);
    renderWithProviders(<PasswordSection />);
    await fill("not the password", "a new long password");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The current password is not right.");
    expect(screen.getByLabelText("Current password")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Current password")).toHaveFocus();
  });

  it("says how many other sessions were signed out", async () => {
    const { fetchStub, calls } = stubFetch({ "POST /api/account/password": () => ({ body: { signed_out: 2 } }) });
    vi.stubGlobal("fetch", fetchStub);
    renderWithProviders(<PasswordSection />);
    await fill("the old password", "a new long password");
    expect(await screen.findByRole("status")).toHaveTextContent("Your password was changed; 2 other sessions were signed out.");
    expect(await calls[0].json()).toEqual({ current_password: "the old password", new_password: "a new long password" });
    expect(screen.getByLabelText("Current password")).toHaveValue("");
  });
});
