// A video with its boxes drawn over it in the browser, frame by frame: the frame on screen is
// told by requestVideoFrameCallback where the browser has it (its mediaTime is the frame's
// own time), else by the timeupdate and seeked events; its index comes from the frames'
// times (`frameAt`). Reports the time to the page (the timeline's playhead).
import { useEffect, useEffectEvent, useRef, useState, type ReactNode, type RefObject } from "react";
import type { Size } from "./boxes";
import { frameAt, type VideoFrame } from "./frames";
import { paintDetections } from "./paint";
import "./BoxViewer.css";
import "./VideoPlayer.css";

interface Props {
  src: string;
  video: RefObject<HTMLVideoElement | null>;
  /** the boxes per frame; null: none to draw (the video has them drawn in, or not read yet) */
  frames: VideoFrame[] | null;
  /** the pixels the boxes are given in (the source video's size) */
  space: Size | null;
  fps: number | null;
  /** labels whose boxes are not drawn */
  hidden: ReadonlySet<string>;
  /** the colour of each of the video's classes */
  colors: Record<string, string>;
  onTime: (seconds: number) => void;
  describedBy?: string;
  fallback: ReactNode;
}

export function VideoPlayer({ src, video, frames, space, fps, hidden, colors, onTime, describedBy, fallback }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [time, setTime] = useState(0);
  const [displayed, setDisplayed] = useState<Size>({ width: 0, height: 0 });
  const [failed, setFailed] = useState(false);

  useFrameClock(video, (seconds) => {
    setTime(seconds);
    onTime(seconds);
  });

  useEffect(() => {
    const element = video.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => setDisplayed({ width: element.clientWidth, height: element.clientHeight }));
    observer.observe(element);
    return () => observer.disconnect();
  }, [video]);

  const index = frames ? frameAt(frames, time, fps) : -1;
  useEffect(() => {
    const element = canvas.current;
    if (!element || !space) return;
    const shown = index >= 0 && frames ? frames[index].detections.filter((d) => !hidden.has(d.label)) : [];
    paintDetections(element, shown, space, displayed, colors);
  }, [frames, index, hidden, space, displayed, colors]);

  if (failed) return <>{fallback}</>;
  return (
    <div className="box-stage video-stage">
      <video
        ref={video}
        className="result-video"
        controls
        preload="metadata"
        src={src}
        aria-describedby={describedBy}
        onLoadedMetadata={(event) => setDisplayed({ width: event.currentTarget.clientWidth, height: event.currentTarget.clientHeight })}
        onError={() => setFailed(true)}
      />
      {frames && <canvas ref={canvas} aria-hidden="true" data-frame={index} />}
    </div>
  );
}

type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (callback: (now: number, metadata: { mediaTime: number }) => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

/** Calls `onTime` with the time of each frame the video shows (while it plays, after a seek). */
function useFrameClock(video: RefObject<HTMLVideoElement | null>, onTime: (seconds: number) => void) {
  const report = useEffectEvent(onTime);
  useEffect(() => {
    const element = video.current as FrameCallbackVideo | null;
    if (!element) return;
    const fromElement = () => report(element.currentTime);
    const events = ["seeked", "loadeddata"];
    let handle: number | null = null;
    if (typeof element.requestVideoFrameCallback === "function") {
      const request = element.requestVideoFrameCallback.bind(element);
      const step = (_now: number, metadata: { mediaTime: number }) => {
        report(metadata.mediaTime);
        handle = request(step);
      };
      handle = request(step);
    } else {
      events.push("timeupdate");
    }
    for (const name of events) element.addEventListener(name, fromElement);
    return () => {
      if (handle !== null) element.cancelVideoFrameCallback?.(handle);
      for (const name of events) element.removeEventListener(name, fromElement);
    };
  }, [video]);
}
