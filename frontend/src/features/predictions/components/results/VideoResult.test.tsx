import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { classColour } from "@/lib/classColour";
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

describe("a video played as it was uploaded", () => {
  const input = { name: "people.mp4", size: 10, sha256: "x", media_type: "video/mp4", url: "/api/predictions/x/inputs/input.mp4" };
  const lines = [0, 1, 2, 3].map((frame) =>
    JSON.stringify({ frame, time_s: frame * 0.5, detections: [{ label: "person", class_id: 0, confidence: 0.9, box: [10, 10, 50, 80], track_id: 1 }] }),
  );
  const job = makeJob({
    status: "succeeded",
    model: "object-detection",
    result_kind: "video-detections",
    inputs: [input],
    artifacts: [
      { name: "annotated.webm", media_type: "video/webm", role: "annotated", size: 0, deferred: true, url: "/api/predictions/x/files/annotated.webm" },
      { name: "detections.jsonl", media_type: "application/x-ndjson", role: "data", size: 10, deferred: false, url: "/api/predictions/x/files/detections.jsonl" },
    ],
    result: { ...base, fps: 2, plays: "input" },
  });

  afterEach(() => vi.unstubAllGlobals());

  function renderPlaying() {
    const fetchStub = vi.fn(async () => new Response(lines.join("\n") + "\n"));
    vi.stubGlobal("fetch", fetchStub);
    const view = renderWithProviders(<ResultView job={job} />);
    const video = view.container.querySelector("video") as HTMLVideoElement;
    return { ...view, video, fetchStub };
  }

  it("plays the upload with its boxes drawn over it, read from detections.jsonl", async () => {
    const { container, video, fetchStub } = renderPlaying();
    expect(video.getAttribute("src")).toBe(input.url);
    expect(fetchStub).toHaveBeenCalledWith("/api/predictions/x/files/detections.jsonl", { credentials: "same-origin" });
    await waitFor(() => expect(container.querySelector("canvas")).not.toBeNull());
    // the frame on screen follows the video (timeupdate where requestVideoFrameCallback is missing)
    video.currentTime = 1.1;
    fireEvent.timeUpdate(video);
    await waitFor(() => expect(container.querySelector("canvas")?.getAttribute("data-frame")).toBe("2"));
    const toggles = screen.getByRole("group", { name: "Boxes drawn" });
    expect(within(toggles).getAllByRole("checkbox").map((c) => (c.parentElement as HTMLElement).textContent)).toEqual(["person", "chair"]);
  });

  it("gives each class one colour: its boxes, its toggle, its line and its legend", () => {
    const { container } = renderPlaying();
    for (const label of ["person", "chair"]) {
      const colour = classColour(label);
      expect(container.querySelector(`polyline[data-label="${label}"]`)?.getAttribute("stroke")).toBe(colour);
      const legend = within(screen.getByRole("list", { name: "Classes" })).getByText(label).closest("li") as HTMLElement;
      expect(legend.querySelector("rect")?.getAttribute("fill")).toBe(colour);
      const toggle = screen.getByRole("checkbox", { name: label }).parentElement as HTMLElement;
      expect(toggle.querySelector("rect")?.getAttribute("fill")).toBe(colour);
    }
  });

  it("seeks the video where the timeline is clicked, and moves its playhead with the video", async () => {
    const { container, video } = renderPlaying();
    const chart = screen.getByRole("img", { name: /Objects in view over 2.0 s/ });
    vi.spyOn(chart, "getBoundingClientRect").mockReturnValue({ left: 100, top: 0, width: 640, height: 160, right: 740, bottom: 160, x: 100, y: 0, toJSON: () => ({}) });
    // the plot runs from x 28 to 632 of 640: its middle is 1 s of the 2 s the chart spans
    fireEvent.click(chart, { clientX: 100 + 28 + (632 - 28) / 2 });
    expect(video.currentTime).toBeCloseTo(1);
    fireEvent(video, new Event("seeked"));
    await waitFor(() => expect(container.querySelector(".playhead")?.getAttribute("x1")).toBe(String(28 + (632 - 28) / 2)));
  });
});
