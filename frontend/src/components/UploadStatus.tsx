import type { UploadProgress } from "@/api/upload";
import { formatBytes, formatPercent } from "@/lib/format";
import { ProgressBar } from "./ProgressBar";
import "./UploadStatus.css";

interface Props {
  progress: UploadProgress | null;
  onCancel: () => void;
}

export function UploadStatus({ progress, onCancel }: Props) {
  const fraction = progress && progress.total > 0 ? progress.loaded / progress.total : null;
  const done = fraction !== null && fraction >= 1;
  const text = done
    ? "Uploaded; the server is checking the file…"
    : progress
      ? `Uploading ${formatBytes(progress.loaded)} of ${formatBytes(progress.total)} (${formatPercent(fraction ?? 0)})`
      : "Starting the upload…";
  return (
    <div className="upload-status">
      <ProgressBar value={done ? null : fraction} label="Upload progress" />
      <p aria-live="polite">{text}</p>
      {!done && (
        <button type="button" className="button secondary" onClick={onCancel}>
          Cancel upload
        </button>
      )}
    </div>
  );
}
