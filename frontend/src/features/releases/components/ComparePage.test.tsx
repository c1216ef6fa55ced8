import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import type { ResultPairProps } from "@/components/agreement/types";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { makeComparison, makeModel, makeRelease, makeReplay } from "../fixtures";
import { ComparePage } from "./ComparePage";

afterEach(() => {
  vi.unstubAllGlobals();
});

const BASE = "/api/admin/catalog/street";

function Pair({ baseline, candidate, labels, headingLevel }: ResultPairProps) {
  return (
    <p data-testid="pair">
      {labels.baseline} {baseline.id} | {labels.candidate} {candidate.id} | h{headingLevel}
    </p>
  );
}

function show(of: "release" | "replay", comparison = makeComparison()) {
  const { fetchStub, calls } = stubFetch({
    [`GET ${BASE}`]: () => ({ body: makeModel() }),
    [`GET ${BASE}/releases`]: () => ({ body: [makeRelease()] }),
    [`GET ${BASE}/replays`]: () => ({ body: [makeReplay({ state: "done" })] }),
    [`GET ${BASE}/releases/r1/comparison`]: () => ({ body: comparison }),
    [`GET ${BASE}/replays/p1/comparison`]: () => ({ body: comparison }),
  });
  vi.stubGlobal("fetch", fetchStub);
  const id = of === "release" ? "r1" : "p1";
  renderWithProviders(<ComparePage of={of} Pair={Pair} />, {
    path: `/admin/catalog/:name/${of}s/:id/comparison`,
    route: `/admin/catalog/street/${of}s/${id}/comparison`,
  });
  return calls;
}

describe("ComparePage", () => {
  it("shows per version its predictions, failures and latency percentiles", async () => {
    show("release");
    expect(await screen.findByRole("heading", { level: 2, name: "Version 2 against version 1" })).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "Predictions, failures and latency" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((row) => within(row).getByRole("rowheader").textContent)).toEqual(["Version 1 (reference)", "Version 2 (candidate)"]);
    expect(within(rows[0]).getAllByRole("cell").map((cell) => cell.textContent)).toEqual(["40", "0", "120 ms", "240 ms", "360 ms", "60 ms"]);
    expect(within(rows[1]).getAllByRole("cell").map((cell) => cell.textContent)).toEqual([
      "38",
      "2 (5.3%)",
      "1.50 s",
      "3.00 s",
      "4.50 s",
      "750 ms",
    ]);
    expect(screen.getByText(/The release started .*: the live predictions of each version since then/)).toBeInTheDocument();
    expect(screen.getByText("It is compared again every 10 seconds while it runs.")).toBeInTheDocument();
  });

  it("shows the agreement of the pairs and why some were not compared", async () => {
    show("replay");
    const agreement = await screen.findByRole("region", { name: "Agreement" });
    expect(within(agreement).getByText("4 pairs of results of the same inputs compared.")).toBeInTheDocument();
    expect(within(agreement).getByText("1 not compared: the files are gone")).toBeInTheDocument();
    expect(within(agreement).getByRole("table", { name: "Per class" })).toBeInTheDocument();
    expect(screen.queryByText("It is compared again every 10 seconds while it runs.")).not.toBeInTheDocument(); // done
    expect(screen.getByText(/The replay of 4 predictions started/)).toBeInTheDocument();
  });

  it("says how many shadow copies a release skipped because the background lane was full", async () => {
    show("release", makeComparison({ shadow_skipped: 3 }));
    const agreement = await screen.findByRole("region", { name: "Agreement" });
    expect(within(agreement).getByText("3 shadow copies skipped: the background lane was full.")).toBeInTheDocument();
  });

  it("says nothing of skipped copies when none were skipped", async () => {
    show("release", makeComparison({ shadow_skipped: 0 }));
    await screen.findByRole("region", { name: "Agreement" });
    expect(screen.queryByText(/skipped: the background lane was full/)).not.toBeInTheDocument();
  });

  it("shows the pairs that disagree most side by side, with their disagreement", async () => {
    show("release");
    const worst = await screen.findByRole("region", { name: "Where they disagree most" });
    expect(within(worst).getByRole("heading", { level: 4, name: "1. bus.jpg: 50% disagreement" })).toBeInTheDocument();
    expect(within(worst).getByTestId("pair")).toHaveTextContent("Version 1 b1 | Version 2 c1 | h5");
  });

  it("says so when there is nothing to compare yet", async () => {
    show("release", makeComparison({ summaries: {}, pairs: 0, not_compared: {}, worst: [] }));
    expect(await screen.findByText("No pair of results of the same input has been compared yet.")).toBeInTheDocument();
    expect(screen.getByText("No pair to show yet.")).toBeInTheDocument();
  });
});
