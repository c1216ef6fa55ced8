import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import { renderWithProviders } from "@/testing/render";
import { makeJob } from "@/testing/fixtures";
import { ResultView } from "./ResultView";

const base = {
  file: "people.mp4",
  width: 1280,
  height: 720,
  fps: 29.528,
  frames: 182,
  duration_s: 6.164,
  counts: { person: 1, chair: 2 },
  counts_are: "the most objects of each class seen in one frame",
  detections: { person: 170, chair: 300 },
  frames_with: { person: 170, chair: 178 },
  timeline: { bucket_s: 0.5, counts_are: "the most of each class seen in one frame of each bucket", counts: { person: [0, 1, 1, 1], chair: [2, 2, 1, 2] } },
};

function videoJob(result: Record<string, unknown>) {
  return makeJob({
    status: "succeeded",
    model: "object-detection",
    result_kind: "video-detections",
    artifacts: [{ name: "annotated.webm", media_type: "video/webm", role: "annotated", size: 10, deferred: false, url: "/api/predictions/x/files/annotated.webm" }],
    result,
  });
}

describe("video result", () => {
  it("shows the unique objects of a tracked video and the timeline", () => {
    renderWithProviders(
      <ResultView
        job={videoJob({
          ...base,
          unique: { person: 2, chair: 3 },
          unique_are: "distinct objects followed across frames (ByteTrack); tracks seen in fewer than 8 frames (0.25 s) are not counted",
        })}
      />,
    );
    const table = screen.getByRole("table", { name: "Objects per class" });
    expect(within(table).getByRole("columnheader", { name: "Unique objects" })).toBeInTheDocument();
    const person = within(table).getByRole("row", { name: /person/ });
    expect(within(person).getAllByRole("cell").map((c) => c.textContent)).toEqual(["person", "2", "1", "170 (93%)", "170"]);
    expect(screen.getByText(/^Unique objects: distinct objects followed/)).toHaveTextContent("tracks seen in fewer than 8 frames");
    // a region named by its caption, that the keyboard can scroll on a phone
    expect(screen.getByRole("region", { name: "Objects per class" })).toContainElement(screen.getByRole("table", { name: "Objects per class" }));
    const chart = screen.getByRole("img", { name: /Objects in view over 2.0 s: person: up to 1, chair: up to 2/ });
    expect(chart.querySelectorAll("polyline")).toHaveLength(2);
    expect(within(screen.getByRole("list", { name: "Classes" })).getAllByRole("listitem").map((li) => li.textContent?.trim())).toEqual(["person", "chair"]);
  });

  it("without tracking keeps the per-frame counts only", () => {
    renderWithProviders(<ResultView job={videoJob(base)} />);
    const table = screen.getByRole("table", { name: "Objects per class" });
    expect(within(table).queryByRole("columnheader", { name: "Unique objects" })).toBeNull();
    expect(within(table).getByRole("columnheader", { name: "Most in one frame" })).toBeInTheDocument();
  });

  it("draws no chart from a malformed timeline", () => {
    renderWithProviders(<ResultView job={videoJob({ ...base, timeline: { bucket_s: 0, counts: { person: ["x"] } } })} />);
    expect(screen.queryByRole("img", { name: /Objects in view/ })).toBeNull();
  });
});
