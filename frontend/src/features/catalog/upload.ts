// A new version's files, with upload progress (weights run to hundreds of MB): the shared
// multipart upload of api/upload.ts. Errors are the API's, as the shared client gives them.
import { postFormWithProgress, type UploadOptions } from "@/api/upload";
import type { ModelVersion } from "./types";

export interface VersionUpload extends UploadOptions {
  model: string;
  form: FormData;
}

export function uploadVersion({ model, form, ...options }: VersionUpload): Promise<ModelVersion> {
  return postFormWithProgress<ModelVersion>(`/api/admin/catalog/${encodeURIComponent(model)}/versions`, form, options);
}
