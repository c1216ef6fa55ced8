import { useMemo, useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import type { ModelCard } from "@/api/types";
import { useCreatePrediction } from "../api";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { FileUpload } from "@/components/FileUpload";
import { UploadStatus } from "@/components/UploadStatus";
import type { UploadProgress } from "@/api/upload";
import { formatMegabytes } from "@/lib/format";
import {
  acceptAttribute,
  defaultParamValues,
  maxFiles,
  paramFields,
  validateFiles,
  validateParams,
  type FileProblem,
} from "../validation";
import { ParamsFields } from "./ParamsFields";
import { WebcamCapture } from "./WebcamCapture";
import "../models.css";

export function UploadForm({ model }: { model: ModelCard }) {
  const navigate = useNavigate();
  const create = useCreatePrediction();
  const [files, setFiles] = useState<File[]>([]);
  const [values, setValues] = useState(() => defaultParamValues(model.params));
  const [submitted, setSubmitted] = useState(false);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const abort = useRef<AbortController | null>(null);
  const summary = useRef<HTMLDivElement>(null);

  const limit = maxFiles(model);
  const fileProblems: FileProblem[] = useMemo(
    () => (files.length || submitted ? validateFiles(files, model) : []),
    [files, model, submitted],
  );
  const paramErrors = useMemo(() => validateParams(model.params, values), [model.params, values]);
  const busy = create.isPending;
  const unavailable = model.state === "unavailable" || model.state === "unloaded";
  const takesImages = model.accepts.includes("image/jpeg");

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    const problems = validateFiles(files, model);
    if (problems.length || Object.keys(paramErrors).length) {
      requestAnimationFrame(() => summary.current?.focus());
      return;
    }
    abort.current = new AbortController();
    setProgress(null);
    try {
      const job = await create.mutateAsync({
        model: model.name,
        files,
        params: paramFields(model.params, values),
        onProgress: setProgress,
        signal: abort.current.signal,
      });
      navigate(paths.prediction.href(job.id), { state: { fromUpload: true } });
    } catch {
      /* shown from create.error */
    }
  };

  const hint = [
    `Accepts ${model.takes}`,
    limit > 1 ? `up to ${limit} files, ${formatMegabytes(model.max_upload_bytes)} in all` : `up to ${formatMegabytes(model.max_upload_bytes)}`,
  ].join("; ");
  const paramProblemCount = submitted ? Object.keys(paramErrors).length : 0;
  const aborted = create.error instanceof DOMException && create.error.name === "AbortError";

  return (
    <form className="upload-form" onSubmit={onSubmit} noValidate aria-labelledby="upload-heading">
      <h2 id="upload-heading">Try it</h2>
      {unavailable && (
        <div className="alert alert-warning" role="note">
          <p className="alert-title">This model is not available right now.</p>
          {model.reason && <p>{model.reason}</p>}
        </div>
      )}
      <FileUpload
        files={files}
        onChange={(next) => {
          setFiles(next);
          create.reset();
        }}
        accept={acceptAttribute(model)}
        multiple={limit > 1}
        hint={hint}
        disabled={busy}
        describedBy={fileProblems.length ? "file-problems" : undefined}
      />
      {takesImages && (
        <details className="webcam-details">
          <summary>Or take a photo with your camera</summary>
          <WebcamCapture
            disabled={busy}
            onCapture={(file) => {
              setFiles([file]);
              create.reset();
            }}
          />
        </details>
      )}
      {(fileProblems.length > 0 || paramProblemCount > 0) && (
        <div id="file-problems" ref={summary} tabIndex={-1} className="alert alert-error" role="alert">
          <p className="alert-title">Please fix this before uploading:</p>
          <ul>
            {fileProblems.map((problem, index) => (
              <li key={index}>{problem.message}</li>
            ))}
            {paramProblemCount > 0 && <li>Some settings are out of range (see below).</li>}
          </ul>
        </div>
      )}
      <ParamsFields
        params={model.params}
        values={values}
        errors={submitted ? paramErrors : {}}
        disabled={busy}
        onChange={(name, value) => setValues((current) => ({ ...current, [name]: value }))}
      />
      {busy && <UploadStatus progress={progress} onCancel={() => abort.current?.abort()} />}
      {create.isError && !aborted && (
        <ErrorMessage error={create.error} context={{ uploadLimit: formatMegabytes(model.max_upload_bytes), accepts: model.takes }} />
      )}
      {aborted && <p role="status">The upload was cancelled.</p>}
      <div className="button-row">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Uploading…" : files.length > 1 ? `Run on ${files.length} files` : "Run the model"}
        </button>
      </div>
    </form>
  );
}
