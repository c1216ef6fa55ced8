// A video's boxes frame by frame (the job's detections.jsonl: one JSON line per frame, each
// with the time it shows at), which frame a player shows at a given time, and what the page
// plays: the upload itself, or the server's re-encoding of it, with these boxes drawn over it.
import type { Artifact, Job } from "@/api/types";
import { detectionsFromObjects, type Detection } from "./boxes";
import { num, record, str } from "./shape";

export interface VideoFrame {
  /** when it shows, in seconds from the start (null when the line does not say) */
  time: number | null;
  detections: Detection[];
}

/** detections.jsonl → one entry per frame, in the order of the lines; a line that is not a
 * frame's record leaves its frame without boxes. */
export function parseFrames(text: string): VideoFrame[] {
  const frames: VideoFrame[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = null;
    }
    const entry = record(value);
    const index = num(entry.frame) ?? frames.length;
    while (frames.length < index) frames.push({ time: null, detections: [] });
    frames[index] = { time: num(entry.time_s), detections: withTracks(entry.detections) };
  }
  return frames;
}

/** Boxes of a tracked video say which object each is, as the annotated video does. */
function withTracks(items: unknown): Detection[] {
  const list = Array.isArray(items) ? items : [];
  return detectionsFromObjects(list).map((d) => {
    const track = num(record(list[d.index]).track_id);
    return track === null ? d : { ...d, caption: `#${track} ${d.caption}` };
  });
}

// Times in detections.jsonl are rounded to the millisecond: a frame is shown from its time on.
const TOLERANCE_S = 0.001;

/** The index of the frame shown at `seconds` (a player's mediaTime or currentTime): the last
 * one whose time has come, by the frames' own times; by `fps` where they give none. -1
 * before the first. */
export function frameAt(frames: VideoFrame[], seconds: number, fps: number | null): number {
  if (frames.length === 0 || !Number.isFinite(seconds)) return -1;
  if (frames.every((f) => f.time !== null)) {
    let low = 0;
    let high = frames.length - 1;
    if ((frames[0].time as number) > seconds + TOLERANCE_S) return -1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if ((frames[middle].time as number) <= seconds + TOLERANCE_S) low = middle;
      else high = middle - 1;
    }
    return low;
  }
  if (!fps || fps <= 0) return -1;
  return Math.min(frames.length - 1, Math.floor(seconds * fps + TOLERANCE_S * fps));
}

export interface Playback {
  url: string;
  /** whether the page draws the boxes over it (not over a video that has them drawn in) */
  overlay: boolean;
}

/** What the result page plays: the result's `plays` (the upload, or the file made for the
 * browser); results from before it said so play their annotated video as it is. */
export function playbackOf(job: Pick<Job, "inputs" | "artifacts" | "result">): Playback | null {
  const plays = str(record(job.result).plays);
  if (plays === "input") return job.inputs[0] ? { url: job.inputs[0].url, overlay: true } : null;
  const video = (a: Artifact) => a.media_type.startsWith("video/") && !a.deferred;
  const artifact = plays ? job.artifacts.find((a) => a.name === plays && video(a)) : job.artifacts.find((a) => a.role === "annotated" && video(a));
  return artifact ? { url: artifact.url, overlay: artifact.role !== "annotated" } : null;
}
