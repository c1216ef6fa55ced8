import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { chartFrame, driftWarning, formatValue, linePath, type DriftReport, type DriftStatistic } from "../drift";
import { DriftChart } from "./DriftChart";
import { DriftReportView, DriftSection } from "./DriftSection";

afterEach(() => {
  vi.unstubAllGlobals();
});

const reference = { start: "2025-03-01T00:00:00Z", end: "2025-03-02T00:00:00Z", jobs: 500, chosen: "the version's first 500 live jobs" };
const recent = { start: "2025-03-04T00:00:00Z", end: "2025-03-05T00:00:00Z", jobs: 200, chosen: "the live jobs of the last 24 hours" };

function statistic(overrides: Partial<DriftStatistic> = {}): DriftStatistic {
  return {
    name: "brightness",
    label: "Brightness",
    unit: "mean luma, 0-255",
    side: "input",
    reference: { n: 500, mean: 120 },
    recent: { n: 200, mean: 171 },
    score: 0.3123,
    threshold: 0.2,
    chance: 0.19,
    verdict: "drift",
    warn: true,
    note: "Inputs have changed: brightness PSI 0.31 > 0.2.",
    shares: [],
    series_of: "brightness, the mean per day",
    series: [
      { start: "2025-03-01T00:00:00Z", n: 300, mean: 119 },
      { start: "2025-03-02T00:00:00Z", n: 200, mean: 121 },
      { start: "2025-03-04T00:00:00Z", n: 200, mean: 171 },
    ],
    ...overrides,
  };
}

function report(statistics: DriftStatistic[]): DriftReport {
  return {
    model: "detector",
    version: "v2",
    version_number: 2,
    reference,
    recent,
    bucket: "day",
    statistics,
    warn: statistics.some((s) => s.warn),
    versions: [{ id: "v2", number: 2, state: "live", live: true }],
  };
}

describe("DriftChart", () => {
  it("draws the series as an image described in words, with the reference window shaded and labelled", () => {
    const { container } = render(<DriftChart stat={statistic()} reference={reference} recent={recent} />);
    const chart = screen.getByRole("img", { name: /Brightness/ });
    expect(chart).toHaveAccessibleDescription(/Reference mean 120 \(500 jobs\); recent mean 171 \(200 jobs\)\. Inputs have changed/);
    expect(within(chart).getByText("reference")).toBeInTheDocument();
    const shade = container.querySelector(".drift-reference rect");
    expect(Number(shade?.getAttribute("width"))).toBeGreaterThan(0);
    expect(container.querySelectorAll(".drift-point")).toHaveLength(3);
    expect(container.querySelector(".drift-ref-mean")).not.toBeNull();
    // the verdict is written out, not only coloured
    expect(screen.getByRole("figure")).toHaveTextContent("Drift · PSI 0.31");
  });

  it("says when there is not enough data, and shows a class mix's shares as a table", () => {
    const mix = statistic({
      name: "class_mix",
      label: "Class mix",
      unit: "share per class",
      side: "output",
      reference: { n: 40, mean: null },
      recent: { n: 10, mean: null },
      score: null,
      chance: null,
      verdict: "not_enough_data",
      warn: false,
      note: "Not enough data: 40 reference and 10 recent jobs have a class mix; a verdict needs 30 on each side.",
      shares: [
        { label: "person", reference: 0.7, recent: 0.3 },
        { label: "car", reference: 0.3, recent: 0.7 },
      ],
      series_of: "the share of 'person', the mean per day",
      series: [{ start: "2025-03-01T00:00:00Z", n: 40, mean: 0.7 }],
    });
    render(<DriftChart stat={mix} reference={reference} recent={recent} />);
    expect(screen.getByRole("figure")).toHaveTextContent("Not enough data");
    expect(screen.getByRole("figure")).toHaveTextContent("The line: the share of 'person', the mean per day.");
    const rows = within(screen.getByRole("table", { name: "Class mix: each class's share" })).getAllByRole("row");
    expect(rows.map((row) => row.textContent)).toEqual(["ClassReferenceRecent", "person70%30%", "car30%70%"]);
  });
});

describe("DriftReportView", () => {
  it("warns in words about each drifting statistic, and only about those", () => {
    const quiet = statistic({ name: "size", label: "Input size", unit: "bytes", verdict: "ok", warn: false, score: 0.05, note: "No significant shift (PSI 0.05 ≤ 0.2)." });
    render(<DriftReportView report={report([statistic(), quiet])} />);
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("A statistic has drifted");
    expect(within(alert).getAllByRole("listitem").map((li) => li.textContent)).toEqual([driftWarning(statistic(), recent.start)]);
    expect(alert).toHaveTextContent(/Inputs have changed: brightness PSI 0\.31 > 0\.2 since/);
    expect(screen.getAllByRole("img")).toHaveLength(2);
  });

  it("shows no warning without drift, and says when the version has no jobs", () => {
    render(<DriftReportView report={report([])} />);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.getByText("This version has no finished jobs of its users yet.")).toBeInTheDocument();
  });
});

describe("DriftSection", () => {
  it("asks for the model and version chosen, the live one first", async () => {
    const { fetchStub, calls } = stubFetch({
      "GET /api/admin/models/detector/drift": () => ({
        body: { ...report([statistic()]), versions: [{ id: "v1", number: 1, state: "retired", live: false }, { id: "v2", number: 2, state: "live", live: true }] },
      }),
    });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<DriftSection models={[{ name: "detector", title: "Detector" }]} />);
    expect(await screen.findByRole("alert")).toHaveTextContent("brightness PSI 0.31 > 0.2");
    await user.selectOptions(screen.getByLabelText("Version"), "Version 1 (retired)");
    await user.selectOptions(screen.getByLabelText("Recent window"), "the last 7 days");
    const asked = () => calls.map((request) => new URL(request.url).searchParams);
    expect(asked()[0].get("version")).toBeNull();
    expect(asked()[0].get("recent_hours")).toBe("24");
    await waitFor(() => expect(asked().at(-1)?.get("recent_hours")).toBe("168"));
    expect(asked().at(-1)?.get("version")).toBe("v1");
  });
});

describe("drift helpers", () => {
  it("frame the chart around every point and the reference mean, and draw a path through them", () => {
    const frame = chartFrame(statistic(), reference, recent);
    expect(frame.start).toBe(Date.parse(reference.start));
    expect(frame.end).toBe(Date.parse(recent.end));
    expect(frame.low).toBeLessThan(119);
    expect(frame.high).toBeGreaterThan(171);
    const path = linePath(statistic().series, frame, 100, 50);
    expect(path).toMatch(/^M0\.0 [\d.]+ L[\d.]+ [\d.]+ L[\d.]+ [\d.]+$/);
  });

  it("write each statistic in its unit", () => {
    expect(formatValue({ name: "size", unit: "bytes" }, 81_920)).toBe("80 KB");
    expect(formatValue({ name: "confidence", unit: "0-1" }, 0.62)).toBe("62%");
    expect(formatValue({ name: "duration", unit: "s" }, 12.5)).toBe("12.5 s");
    expect(formatValue({ name: "objects", unit: "" }, 2.345)).toBe("2.35");
  });
});
