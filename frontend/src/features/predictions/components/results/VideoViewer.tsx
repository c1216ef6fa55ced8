// The video a result page plays (the upload itself where the browser can play it, else the
// server's re-encoding) with each frame's boxes drawn over it, toggles per class, and the
// timeline below it: its playhead follows the video and a click on it seeks the video.
import { useRef, useState } from "react";
import type { Job } from "@/api/types";
import { useVideoFrames } from "../../api";
import { toggleLabel } from "./boxes";
import { playbackOf } from "./frames";
import { useClassColours } from "./classColours";
import { countMap, imageSpace, num, record } from "./shape";
import { VideoPlayer } from "./VideoPlayer";
import { VideoTimeline } from "./VideoTimeline";

export function VideoViewer({ job, describedBy }: { job: Job; describedBy?: string }) {
  const result = record(job.result);
  const playback = job.files_expired_at ? null : playbackOf(job);
  const lines = job.artifacts.find((a) => a.name === "detections.jsonl");
  const frames = useVideoFrames(job.id, playback?.overlay ? lines?.url : undefined);
  const video = useRef<HTMLVideoElement>(null);
  const [time, setTime] = useState<number | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const labels = countMap(result.counts).map(([label]) => label);
  // The video's classes coloured together, as the server draws the annotated video.
  const colors = useClassColours(labels);
  const seek = (seconds: number) => {
    if (video.current) video.current.currentTime = seconds;
  };

  return (
    <>
      {playback ? (
        <VideoPlayer
          src={playback.url}
          video={video}
          frames={playback.overlay ? (frames.data ?? null) : null}
          space={imageSpace(result)}
          fps={num(result.fps)}
          hidden={hidden}
          colors={colors}
          onTime={setTime}
          describedBy={describedBy}
          fallback={
            <p className="alert alert-warning" role="alert">
              The video cannot be played here; the annotated video is among the files below.
            </p>
          }
        />
      ) : (
        <p>This job has no video to play.</p>
      )}
      {playback?.overlay && frames.isError && (
        <p className="alert alert-warning" role="alert">
          The boxes could not be read, so none are drawn over the video; the annotated video among the files below has them.
        </p>
      )}
      {playback?.overlay && labels.length > 0 && (
        <fieldset className="class-toggles video-toggles">
          <legend>Boxes drawn</legend>
          {labels.map((label) => (
            <label key={label} className="toggle">
              <input type="checkbox" checked={!hidden.has(label)} onChange={() => setHidden(toggleLabel(hidden, label))} />
              <svg className="swatch" viewBox="0 0 10 10" aria-hidden="true" focusable="false">
                <rect width="10" height="10" rx="2" fill={colors[label]} />
              </svg>
              {label}
            </label>
          ))}
        </fieldset>
      )}
      <VideoTimeline timeline={result.timeline} colors={colors} time={playback ? time : null} onSeek={playback ? seek : undefined} />
    </>
  );
}
