import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { makeModel, makeRelease, makeReplay } from "../fixtures";
import type { Release, Replay } from "../types";
import { ReleasesPage } from "./ReleasesPage";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const BASE = "/api/admin/catalog/street";

function setUp({ releases = [] as Release[], replays = [] as Replay[] } = {}) {
  const state = { releases, replays };
  const stub = stubFetch({
    [`GET ${BASE}`]: () => ({ body: makeModel() }),
    [`GET ${BASE}/releases`]: () => ({ body: state.releases }),
    [`GET ${BASE}/replays`]: () => ({ body: state.replays }),
    [`POST ${BASE}/releases`]: () => {
      const started = makeRelease();
      state.releases = [started];
      return { status: 201, body: started };
    },
    [`POST ${BASE}/releases/r1/promote`]: () => {
      state.releases = [makeRelease({ state: "promoted", ended_at: "2025-03-02T11:00:00Z", ended_by: "admin@example.org" })];
      return { body: state.releases[0] };
    },
    [`POST ${BASE}/releases/r1/rollback`]: () => {
      state.releases = [makeRelease({ state: "rolled_back", ended_at: "2025-03-02T11:00:00Z" })];
      return { body: state.releases[0] };
    },
    [`POST ${BASE}/replays`]: () => {
      const started = makeReplay();
      state.replays = [started];
      return { status: 202, body: started };
    },
  });
  vi.stubGlobal("fetch", stub.fetchStub);
  renderWithProviders(<ReleasesPage />, { path: "/admin/catalog/:name/releases", route: "/admin/catalog/street/releases" });
  const posted = (path: string) => stub.calls.filter((call) => call.method === "POST" && new URL(call.url).pathname === path);
  return { state, posted };
}

describe("ReleasesPage", () => {
  it("shows the live version and those that can be released", async () => {
    setUp();
    const versions = await screen.findByRole("region", { name: "Versions" });
    expect(within(versions).getByText("Version 1")).toBeInTheDocument();
    expect(within(versions).getByText(/\(ready\): conf 0\.5/)).toBeInTheDocument();
    expect(within(versions).queryByText(/Version 3/)).not.toBeInTheDocument(); // failed: not releasable
    expect(screen.getByRole("heading", { level: 2, name: "Releases of Street detector" })).toBeInTheDocument();
    expect(screen.getByText("No release yet.")).toBeInTheDocument();
  });

  it("checks the release form before sending it, then starts the release and says so", async () => {
    const { posted } = setUp();
    const user = userEvent.setup();
    const form = await screen.findByRole("form", { name: "Start a release" });
    expect(within(form).getByLabelText("Candidate version")).toHaveValue("v2");
    const canary = within(form).getByLabelText("Canary share (%)");
    await user.clear(canary);
    await user.type(canary, "150");
    await user.click(within(form).getByRole("button", { name: "Start the release" }));
    expect(within(form).getByText("Enter the canary share as a percentage from 0 to 100.")).toBeInTheDocument();
    expect(canary).toHaveAttribute("aria-invalid", "true");
    expect(canary).toHaveFocus();

    await user.clear(canary);
    await user.type(canary, "0");
    await user.click(within(form).getByRole("button", { name: "Start the release" }));
    expect(within(form).getByText(/at 0 % for both it would run nothing/)).toBeInTheDocument();
    expect(posted(`${BASE}/releases`)).toHaveLength(0);

    await user.clear(canary);
    await user.type(canary, "50");
    await user.type(within(form).getByLabelText("Note (optional)"), "lower threshold");
    await user.click(within(form).getByRole("button", { name: "Start the release" }));
    const notice = await screen.findByText("The release of version 2 started beside version 1.");
    await waitFor(() => expect(notice).toHaveFocus());
    expect(await posted(`${BASE}/releases`)[0].json()).toEqual({ candidate: "v2", canary_share: 0.5, shadow_share: 0, note: "lower threshold" });
    expect(await screen.findByRole("heading", { name: "Active release: version 2 beside version 1 (live)" })).toBeInTheDocument();
  });

  it("promotes only after a confirmation naming both versions", async () => {
    const { posted } = setUp({ releases: [makeRelease()] });
    const user = userEvent.setup();
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(false);
    await user.click(await screen.findByRole("button", { name: "Promote version 2" }));
    expect(confirm).toHaveBeenCalledWith(
      "Promote version 2 of Street detector? It replaces version 1 as the live version: every new prediction runs on version 2.",
    );
    expect(posted(`${BASE}/releases/r1/promote`)).toHaveLength(0);

    confirm.mockReturnValue(true);
    await user.click(screen.getByRole("button", { name: "Promote version 2" }));
    const notice = await screen.findByText("Version 2 was promoted: it is live for every new prediction.");
    await waitFor(() => expect(notice).toHaveFocus());
    expect(posted(`${BASE}/releases/r1/promote`)).toHaveLength(1);
    const history = screen.getByRole("region", { name: "Release history" });
    expect(await within(history).findByText("Promoted")).toBeInTheDocument();
    expect(screen.getByRole("form", { name: "Start a release" })).toBeInTheDocument();
  });

  it("says how many shadow copies the release skipped because the background lane was full", async () => {
    setUp({ releases: [makeRelease({ shadow_share: 1, shadow_skipped: 1 })] });
    const active = await screen.findByRole("region", { name: /Active release/ });
    expect(within(active).getByText("1 shadow copy skipped: the background lane was full.")).toBeInTheDocument();
    const history = screen.getByRole("region", { name: "Release history" });
    expect(within(history).getByText("1 shadow copy skipped: the background lane was full")).toBeInTheDocument();
  });

  it("rolls back only after a confirmation naming both versions", async () => {
    const { posted } = setUp({ releases: [makeRelease()] });
    const user = userEvent.setup();
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    await user.click(await screen.findByRole("button", { name: "Roll back version 2" }));
    expect(confirm).toHaveBeenCalledWith(
      "Roll back version 2 of Street detector? Every new prediction runs on version 1 (live) again; predictions version 2 already made keep their results.",
    );
    expect(await screen.findByText("Version 2 was rolled back: version 1 serves every new prediction.")).toBeInTheDocument();
    expect(posted(`${BASE}/releases/r1/rollback`)).toHaveLength(1);
    expect(posted(`${BASE}/releases/r1/promote`)).toHaveLength(0);
  });

  it("starts a replay with the filters set and shows its progress", async () => {
    const { posted } = setUp();
    const user = userEvent.setup();
    const form = await screen.findByRole("form", { name: "Replay past predictions" });
    await user.type(within(form).getByLabelText("File name contains"), "bus");
    const limit = within(form).getByLabelText("How many (at most)");
    await user.clear(limit);
    await user.type(limit, "4");
    await user.click(within(form).getByRole("button", { name: "Start the replay" }));
    expect(await screen.findByText("The replay started: 4 predictions run again on version 2.")).toBeInTheDocument();
    expect(await posted(`${BASE}/replays`)[0].json()).toEqual({ version: "v2", limit: 4, name: "bus" });

    const bar = await screen.findByRole("progressbar", { name: "Progress of the replay on version 2" });
    expect(bar).toHaveAttribute("value", "0.5");
    expect(screen.getByText("2 of 4 done (1 succeeded, 1 failed, 1 running, 1 waiting)")).toBeInTheDocument();
    expect(screen.getByText(/file name contains “bus”/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Compare the replay on version 2 with the live version" })).toHaveAttribute(
      "href",
      "/admin/catalog/street/replays/p1/comparison",
    );
  });
});
