import { useId, useRef, useState, type DragEvent } from "react";
import { formatBytes } from "@/lib/format";
import { FileName } from "./FileName";
import "./FileUpload.css";

interface Props {
  files: File[];
  onChange: (files: File[]) => void;
  accept: string;
  multiple: boolean;
  hint: string;
  disabled?: boolean;
  describedBy?: string;
}

/** A file picker that also takes files dropped on it; the chosen files are listed and can be removed. */
export function FileUpload({ files, onChange, accept, multiple, hint, disabled, describedBy }: Props) {
  const inputId = useId();
  const hintId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  const add = (list: FileList | null) => {
    if (!list || list.length === 0) return;
    const chosen = Array.from(list);
    onChange(multiple ? dedupe([...files, ...chosen]) : chosen.slice(0, 1));
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (!disabled) add(event.dataTransfer.files);
  };

  return (
    <div className="file-upload">
      <div
        className={`dropzone${dragging ? " dragging" : ""}${disabled ? " disabled" : ""}`}
        onDragOver={(event) => {
          event.preventDefault();
          if (!disabled) setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <svg className="dropzone-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
          <path d="M12 16V4m0 0-4 4m4-4 4 4M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <label htmlFor={inputId} className="dropzone-label">
          <span className="button">{multiple ? "Choose files" : "Choose a file"}</span>
          <span className="dropzone-or"> or drop {multiple ? "them" : "it"} here</span>
        </label>
        <input
          ref={input}
          id={inputId}
          className="visually-hidden-input"
          type="file"
          accept={accept}
          multiple={multiple}
          disabled={disabled}
          aria-describedby={[hintId, describedBy].filter(Boolean).join(" ")}
          onKeyDown={(event) => {
            // Browsers open the picker on Space only; Enter is what a button takes too (and
            // would otherwise submit the form with no file).
            if (event.key === "Enter" && !disabled) {
              event.preventDefault();
              event.currentTarget.click();
            }
          }}
          onChange={(event) => {
            add(event.target.files);
            event.target.value = ""; // choosing the same file again still fires change
          }}
        />
        <p id={hintId} className="hint">
          {hint}
        </p>
      </div>
      {files.length > 0 && (
        <ul className="file-list" aria-label="Chosen files">
          {files.map((file, index) => (
            <li key={`${file.name}-${file.size}-${index}`}>
              <span className="chosen-name">
                <FileName name={file.name} />
              </span>
              <span className="file-size">{formatBytes(file.size)}</span>
              <button
                type="button"
                className="link-button"
                disabled={disabled}
                onClick={() => onChange(files.filter((_, i) => i !== index))}
                aria-label={`Remove ${file.name}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function dedupe(files: File[]): File[] {
  const seen = new Set<string>();
  return files.filter((file) => {
    const key = `${file.name}:${file.size}:${file.lastModified}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
