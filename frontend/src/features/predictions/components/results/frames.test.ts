import { describe, expect, it } from "vitest";
import { makeJob } from "@/testing/fixtures";
import { frameAt, parseFrames, playbackOf, type VideoFrame } from "./frames";

const person = (confidence: number, track?: number) => ({ label: "person", class_id: 0, confidence, box: [1, 2, 30, 40], ...(track ? { track_id: track } : {}) });

describe("a video's boxes per frame", () => {
  it("are read from detections.jsonl, tracked boxes captioned with their object", () => {
    const text = [
      JSON.stringify({ frame: 0, time_s: 0, detections: [person(0.91, 3)] }),
      "not json",
      JSON.stringify({ frame: 2, time_s: 0.068, detections: [person(0.5)] }),
      "",
    ].join("\n");
    const frames = parseFrames(text);
    expect(frames.map((f) => f.time)).toEqual([0, null, 0.068]);
    expect(frames[0].detections.map((d) => d.caption)).toEqual(["#3 person 91%"]);
    expect(frames[1].detections).toEqual([]);
    expect(frames[2].detections.map((d) => d.caption)).toEqual(["person 50%"]);
    expect(parseFrames("")).toEqual([]);
  });

  it("give the frame a player shows at a time, by the frames' own times", () => {
    // 29.528 fps, times rounded to the millisecond as the server writes them
    const frames: VideoFrame[] = [0, 0.034, 0.068, 0.102].map((time) => ({ time, detections: [] }));
    expect(frameAt(frames, 0, 29.528)).toBe(0);
    expect(frameAt(frames, 0.03386610739, 29.528)).toBe(1); // requestVideoFrameCallback's mediaTime
    expect(frameAt(frames, 0.05, 29.528)).toBe(1); // currentTime between two frames
    expect(frameAt(frames, 9, 29.528)).toBe(3);
    // a variable frame rate: the times, not the rate
    const uneven: VideoFrame[] = [0, 0.1, 0.5].map((time) => ({ time, detections: [] }));
    expect(frameAt(uneven, 0.4, 30)).toBe(1);
    expect(frameAt([{ time: 0.2, detections: [] }], 0.1, 30)).toBe(-1);
  });

  it("give the frame by the frame rate where the lines tell no time", () => {
    const frames: VideoFrame[] = Array.from({ length: 10 }, () => ({ time: null, detections: [] }));
    expect(frameAt(frames, 0.2, 10)).toBe(2);
    expect(frameAt(frames, 0.1999999, 10)).toBe(2);
    expect(frameAt(frames, 5, 10)).toBe(9);
    expect(frameAt(frames, 0.2, null)).toBe(-1);
    expect(frameAt([], 0.2, 10)).toBe(-1);
  });
});

describe("what the page plays", () => {
  const input = { name: "people.mp4", size: 1, sha256: "x", media_type: "video/mp4", url: "/api/predictions/x/inputs/input.mp4" };
  const artifact = (name: string, role: string, deferred = false) => ({ name, media_type: "video/webm", role, size: deferred ? 0 : 9, deferred, url: `/api/predictions/x/files/${name}` });

  it("is the upload itself or the file made for browsers, with the boxes drawn over it", () => {
    const annotated = artifact("annotated.webm", "annotated", true);
    expect(playbackOf(makeJob({ inputs: [input], artifacts: [annotated], result: { plays: "input" } }))).toEqual({ url: input.url, overlay: true });
    const preview = artifact("preview.webm", "preview");
    expect(playbackOf(makeJob({ inputs: [input], artifacts: [annotated, preview], result: { plays: "preview.webm" } }))).toEqual({ url: preview.url, overlay: true });
  });

  it("is an annotated video as it is: a family's own drawing, or a result from before", () => {
    const annotated = artifact("annotated.webm", "annotated");
    expect(playbackOf(makeJob({ inputs: [input], artifacts: [annotated], result: { plays: "annotated.webm" } }))).toEqual({ url: annotated.url, overlay: false });
    expect(playbackOf(makeJob({ inputs: [input], artifacts: [annotated], result: {} }))).toEqual({ url: annotated.url, overlay: false });
    expect(playbackOf(makeJob({ inputs: [input], artifacts: [artifact("annotated.webm", "annotated", true)], result: {} }))).toBeNull();
  });
});
