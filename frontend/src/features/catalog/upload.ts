// A new version's files over XMLHttpRequest, because fetch() cannot report upload progress
// (weights run to hundreds of MB). Errors are the API's, as the shared client gives them.
import { ApiError, apiErrorFrom, NETWORK_ERROR_STATUS } from "@/api/errors";
import type { UploadProgress } from "@/api/upload";
import type { ModelVersion } from "./types";

export interface VersionUpload {
  model: string;
  form: FormData;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export function uploadVersion({ model, form, onProgress, signal }: VersionUpload): Promise<ModelVersion> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/admin/models/${encodeURIComponent(model)}/versions`);
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
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as ModelVersion);
      else reject(apiErrorFrom(xhr.status, body, xhr.getResponseHeader("Retry-After")));
    };
    xhr.onerror = () =>
      reject(new ApiError(NETWORK_ERROR_STATUS, "The upload was interrupted: the server could not be reached.", "network"));
    xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
    if (signal?.aborted) {
      reject(new DOMException("The upload was cancelled.", "AbortError"));
      return;
    }
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}
