// Uploads use XMLHttpRequest because fetch() cannot report upload progress (a prediction's
// files here, a model version's weights in features/catalog).
import { ApiError, apiErrorFrom, NETWORK_ERROR_STATUS } from "./errors";
import type { Job } from "./types";

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface UploadOptions {
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export interface UploadRequest extends UploadOptions {
  model: string;
  files: File[];
  params: Record<string, string>;
}

/** The multipart body: every file in the field `file`, then the parameters. */
export function buildUploadForm(files: File[], params: Record<string, string>): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(params)) {
    if (value !== "") form.append(key, value);
  }
  for (const file of files) form.append("file", file, file.name);
  return form;
}

/** POST a multipart form with upload progress: the API's JSON answer, or its refusal as an
 * ApiError (a lost connection too), or an AbortError once `signal` aborts. */
export function postFormWithProgress<T>(url: string, form: FormData, { onProgress, signal }: UploadOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException("The upload was cancelled.", "AbortError"));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.withCredentials = true;
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "text";
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress?.({ loaded: event.loaded, total: event.total });
    };
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* keep the text */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(apiErrorFrom(xhr.status, body, xhr.getResponseHeader("Retry-After")));
    };
    xhr.onerror = () =>
      reject(new ApiError(NETWORK_ERROR_STATUS, "The upload was interrupted: the server could not be reached.", "network"));
    xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

export function uploadPrediction({ model, files, params, ...options }: UploadRequest): Promise<Job> {
  return postFormWithProgress<Job>(`/api/models/${encodeURIComponent(model)}/predictions`, buildUploadForm(files, params), options);
}
