// Takes a photo with the device's camera (the browser asks for permission) and hands it on
// as a JPEG file, to be uploaded like any other.
import { useEffect, useRef, useState } from "react";
import "../models.css";

interface Props {
  onCapture: (file: File) => void;
  disabled?: boolean;
}

type State = "off" | "starting" | "live" | "error";

export function cameraErrorMessage(error: unknown): string {
  const name = error instanceof DOMException || error instanceof Error ? error.name : "";
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return "The camera was not allowed. Allow it for this site in the browser's settings, or upload a photo instead.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera was found on this device. Upload a photo instead.";
    case "NotReadableError":
    case "AbortError":
      return "The camera is in use by another program or could not be started. Close it there and try again.";
    default:
      return "The camera could not be started. Upload a photo instead.";
  }
}

export function WebcamCapture({ onCapture, disabled }: Props) {
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream | null>(null);
  const [state, setState] = useState<State>("off");
  const [error, setError] = useState("");
  const [preview, setPreview] = useState<string | null>(null);
  const supported = typeof navigator !== "undefined" && Boolean(navigator.mediaDevices?.getUserMedia);

  const stop = () => {
    stream.current?.getTracks().forEach((track) => track.stop());
    stream.current = null;
    if (video.current) video.current.srcObject = null;
    setState("off");
  };

  useEffect(() => () => stream.current?.getTracks().forEach((track) => track.stop()), []);
  useEffect(() => () => {
    if (preview) URL.revokeObjectURL(preview);
  }, [preview]);

  const start = async () => {
    setError("");
    setState("starting");
    try {
      const media = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 1280 } }, audio: false });
      stream.current = media;
      if (video.current) {
        video.current.srcObject = media;
        await video.current.play().catch(() => undefined);
      }
      setState("live");
    } catch (cause) {
      setError(cameraErrorMessage(cause));
      setState("error");
    }
  };

  const capture = () => {
    const element = video.current;
    if (!element || element.videoWidth === 0) return;
    const canvas = document.createElement("canvas");
    canvas.width = element.videoWidth;
    canvas.height = element.videoHeight;
    canvas.getContext("2d")?.drawImage(element, 0, 0);
    canvas.toBlob(
      (blob) => {
        if (!blob) {
          setError("The photo could not be taken; try again.");
          return;
        }
        const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
        const file = new File([blob], `camera-${stamp}.jpg`, { type: "image/jpeg" });
        setPreview(URL.createObjectURL(blob));
        onCapture(file);
        stop();
      },
      "image/jpeg",
      0.92,
    );
  };

  if (!supported) {
    return (
      <p className="hint">
        The camera is not available here (it needs a browser with camera support and a secure https connection). Upload a photo instead.
      </p>
    );
  }

  return (
    <div className="webcam">
      <div className="webcam-stage" hidden={state !== "live" && state !== "starting"}>
        <video ref={video} muted playsInline autoPlay aria-label="Camera preview" />
      </div>
      {preview && state === "off" && <img className="webcam-photo" src={preview} alt="The photo you took (it will be uploaded)" />}
      <div className="button-row">
        {state !== "live" ? (
          <button type="button" className="button secondary" onClick={start} disabled={disabled || state === "starting"}>
            {state === "starting" ? "Starting the camera…" : preview ? "Take another photo" : "Use the camera"}
          </button>
        ) : (
          <>
            <button type="button" className="button" onClick={capture} disabled={disabled}>
              Take photo
            </button>
            <button type="button" className="button secondary" onClick={stop}>
              Stop camera
            </button>
          </>
        )}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
