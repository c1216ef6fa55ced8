import { afterEach, describe, expect, it, vi } from "vitest";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { makeJob } from "@/testing/fixtures";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { HistoryPage } from "./HistoryPage";

afterEach(() => vi.unstubAllGlobals());

const input = { name: "bus.jpg", size: 10, sha256: "0".repeat(64), media_type: "image/jpeg", url: "/api/predictions/x/inputs/0.jpg" };
const artifact = { name: "annotated.jpg", media_type: "image/jpeg", role: "annotated", size: 10, deferred: false, url: "/api/predictions/x/files/annotated.jpg" };

describe("HistoryPage", () => {
  it("marks expired predictions and deletes the whole history once confirmed", async () => {
    let jobs = [
      makeJob({ id: "a".repeat(32), status: "succeeded", inputs: [input], artifacts: [artifact], main_output: "annotated.jpg", files_expired_at: "2025-02-01T00:00:00Z" }),
      makeJob({ id: "b".repeat(32), status: "succeeded", inputs: [{ ...input, name: "cat.jpg" }], artifacts: [artifact], main_output: "annotated.jpg" }),
    ];
    const { fetchStub, calls } = stubFetch({
      "GET /api/models": () => ({ body: [] }),
      "GET /api/predictions": () => ({ body: { data: jobs, count: jobs.length } }),
      "DELETE /api/predictions": () => {
        const deleted = jobs.length;
        jobs = [];
        return { body: { deleted } };
      },
    });
    vi.stubGlobal("fetch", fetchStub);
    const confirm = vi.fn(() => true);
    vi.stubGlobal("confirm", confirm);
    const user = userEvent.setup();
    renderWithProviders(<HistoryPage />);

    expect(await screen.findByText("files expired")).toBeInTheDocument();
    // only the prediction that still has its files offers a download
    expect(screen.getAllByRole("link", { name: /download/i })).toHaveLength(1);

    await user.click(screen.getByRole("button", { name: "Delete all my predictions" }));
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining("all 2 of your predictions"));
    expect(await screen.findByText(/Nothing yet/)).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "DELETE" && new URL(c.url).pathname === "/api/predictions")).toHaveLength(1);
  });

  it("deletes nothing when the confirmation is declined", async () => {
    const jobs = [makeJob({ status: "succeeded", inputs: [input] })];
    const { fetchStub, calls } = stubFetch({
      "GET /api/models": () => ({ body: [] }),
      "GET /api/predictions": () => ({ body: { data: jobs, count: 1 } }),
    });
    vi.stubGlobal("fetch", fetchStub);
    vi.stubGlobal("confirm", vi.fn(() => false));
    const user = userEvent.setup();
    renderWithProviders(<HistoryPage />);
    await user.click(await screen.findByRole("button", { name: "Delete all my predictions" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
  });
});
