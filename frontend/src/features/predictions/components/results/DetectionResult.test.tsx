import { describe, expect, it } from "vitest";
import { fireEvent, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithProviders } from "@/testing/render";
import { makeJob } from "@/testing/fixtures";
import type { ResultKind } from "@/api/types";
import { VIEWERS } from "./resultKind";
import { ResultView } from "./ResultView";

const job = makeJob({
  status: "succeeded",
  model: "object-detection",
  result_kind: "detections",
  inputs: [{ name: "bus.jpg", size: 1000, sha256: "", media_type: "image/jpeg", url: "/api/predictions/x/inputs/input-0.jpg" }],
  artifacts: [{ name: "annotated.jpg", media_type: "image/jpeg", role: "annotated", size: 10, deferred: false, url: "/api/predictions/x/files/annotated.jpg" }],
  result: {
    file: "bus.jpg",
    width: 810,
    height: 1080,
    count: 3,
    counts: { person: 2, bus: 1 },
    items: [
      { class_id: 0, label: "person", confidence: 0.9, box: [50, 400, 250, 900] },
      { class_id: 0, label: "person", confidence: 0.4, box: [600, 400, 800, 900] },
      { class_id: 5, label: "bus", confidence: 0.85, box: [10, 200, 800, 800] },
    ],
  },
});

const rows = () => within(screen.getByRole("table", { name: "Detections" })).getAllByRole("row").slice(1);

describe("object detection result", () => {
  it("lists every detection and draws over the input image", () => {
    renderWithProviders(<ResultView job={job} />);
    expect(rows()).toHaveLength(3);
    expect(screen.getByRole("img", { name: /bus.jpg, with 3 objects marked/ })).toHaveAttribute("src", job.inputs[0].url);
  });

  it("hides a class when its toggle is unchecked", async () => {
    const user = userEvent.setup();
    renderWithProviders(<ResultView job={job} />);
    await user.click(screen.getByRole("checkbox", { name: /person/ }));
    expect(rows()).toHaveLength(1);
    expect(screen.getByText("Showing 1 object of 3.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Show all" }));
    expect(rows()).toHaveLength(3);
  });

  it("filters by the confidence slider", () => {
    renderWithProviders(<ResultView job={job} />);
    fireEvent.change(screen.getByRole("slider", { name: /minimum confidence/i }), { target: { value: "0.5" } });
    expect(rows()).toHaveLength(2);
    expect(screen.getByRole("checkbox", { name: /person/ }).parentElement).toHaveTextContent("(1 of 2)");
  });

  it("starts the slider at the confidence the run used, not at 0 %", () => {
    renderWithProviders(<ResultView job={{ ...job, params: { conf: 0.25, iou: 0.45 } }} />);
    const slider = screen.getByRole("slider", { name: /minimum confidence/i });
    expect(slider).toHaveValue("0.25");
    expect(slider).toHaveAttribute("min", "0.25");
    expect(slider).toHaveAccessibleDescription(/kept what it found from 25% up/);
    expect(rows()).toHaveLength(3);
  });
});

describe("the files of a result", () => {
  it("shows a dash for the size of a file not drawn yet, and says why", () => {
    const deferred = { ...job.artifacts[0], size: 0, deferred: true };
    renderWithProviders(<ResultView job={{ ...job, artifacts: [deferred], main_output: "annotated.jpg" }} />);
    const files = screen.getByRole("region", { name: "Files" });
    const row = within(files).getAllByRole("row")[1];
    expect(within(row).getByText("–")).toHaveAttribute("aria-hidden", "true");
    expect(row).toHaveTextContent("not known until the file is first opened");
    expect(files).toHaveTextContent("drawn the first time it is opened or downloaded");
    expect(files).not.toHaveTextContent("drawn when first opened");
  });
});

describe("unknown result shapes", () => {
  it("never crash: the JSON and the files are shown", () => {
    const odd = makeJob({
      status: "succeeded",
      result: { items: "not a list", per_file: "nor this", width: "wide", nested: { a: [1, 2] } },
      artifacts: [{ name: "weird.bin", media_type: "application/octet-stream", role: "data", size: 3, deferred: false, url: "/x/weird.bin" }],
    });
    renderWithProviders(<ResultView job={odd} />);
    expect(screen.getByText("All result data (JSON)")).toBeInTheDocument();
    expect(screen.getByRole("cell", { name: "weird.bin" })).toBeInTheDocument();
  });

  it.each(Object.keys(VIEWERS) as ResultKind[])("never crash when declared %s", (kind) => {
    const odd = makeJob({
      status: "succeeded",
      result_kind: kind,
      result: { items: "not a list", per_file: "nor this", counts: [1], width: "wide" },
      artifacts: [{ name: "weird.bin", media_type: "application/octet-stream", role: "data", size: 3, deferred: false, url: "/x/weird.bin" }],
    });
    renderWithProviders(<ResultView job={odd} />);
    expect(screen.getByText("All result data (JSON)")).toBeInTheDocument();
    expect(screen.getByRole("cell", { name: "weird.bin" })).toBeInTheDocument();
  });

  it("shows a kind this UI does not know with the generic viewer", () => {
    const job = makeJob({ status: "succeeded", result_kind: "point-cloud" as ResultKind, result: { points: 3 } });
    renderWithProviders(<ResultView job={job} />);
    expect(screen.getByRole("heading", { name: "Result" })).toBeInTheDocument();
    expect(screen.getByText("points")).toBeInTheDocument();
  });

  it("shows a face result's table even with missing fields", () => {
    const faces = makeJob({
      status: "succeeded",
      result_kind: "faces",
      result: { faces: 1, women: 1, men: 0, items: [{ box: [1, 2, 30, 40], gender: "woman" }] },
    });
    renderWithProviders(<ResultView job={faces} />);
    const table = screen.getByRole("table", { name: "Faces" });
    expect(within(table).getAllByRole("row")).toHaveLength(2);
    expect(within(table).getByText("woman")).toBeInTheDocument();
  });

  it("shows an uncertain face as uncertain, with why and the gender it leaned to", () => {
    const item = {
      box: [1, 2, 30, 40],
      confidence: 0.97,
      gender: "uncertain",
      probability: 0.64,
      probabilities: { woman: 0.36, man: 0.64 },
      uncertain: ["low_probability"],
    };
    const faces = makeJob({
      status: "succeeded",
      result_kind: "faces",
      result: { faces: 1, women: 0, men: 0, uncertain: 1, items: [item] },
    });
    renderWithProviders(<ResultView job={faces} />);
    const table = screen.getByRole("table", { name: "Faces" });
    const row = within(table).getAllByRole("row")[1];
    expect(within(row).getByText("uncertain")).toBeInTheDocument();
    expect(within(row).getByText("(less sure than the minimum gender certainty)")).toBeInTheDocument();
    expect(within(row).getByText("leans man: 64.0%")).toBeInTheDocument();
    expect(screen.getByText("Uncertain")).toBeInTheDocument();
  });

  it("counts the uncertain faces of each file of a batch", () => {
    const batch = makeJob({
      status: "succeeded",
      result_kind: "batch",
      result: {
        files: 1,
        per_file: [{ file: "a.jpg", faces: 6, women: 1, men: 3, uncertain: 2, annotated: "001-a.jpg" }],
      },
    });
    renderWithProviders(<ResultView job={batch} />);
    expect(screen.getByText("1 woman, 3 men, 2 uncertain")).toBeInTheDocument();
  });
});
