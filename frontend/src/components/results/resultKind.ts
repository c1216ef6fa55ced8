// Which viewer shows a job's result: decided from the result's shape (and the model's task
// as a hint), so a new model family with a known shape gets the right viewer, and an
// unknown shape gets the generic one.
import type { Job } from "@/api/types";

export type ResultKind = "batch" | "video" | "faces" | "detection" | "skin" | "generic";

type Dict = Record<string, unknown>;

function items(result: Dict): Dict[] {
  return Array.isArray(result.items) ? (result.items.filter((i) => i && typeof i === "object") as Dict[]) : [];
}

export function resultKind(job: Pick<Job, "result" | "artifacts" | "inputs">, task?: string): ResultKind {
  const result = (job.result ?? {}) as Dict;
  if (Array.isArray(result.per_file)) return "batch";
  const isNifti = (name: string, type: string) => /\.nii(\.gz)?$/i.test(name) || type.includes("nifti");
  if (
    task === "skin-segmentation" ||
    job.artifacts.some((a) => a.role === "mask" && isNifti(a.name, a.media_type)) ||
    (job.inputs.length === 1 && isNifti(job.inputs[0].name, job.inputs[0].media_type) && job.artifacts.some((a) => a.role === "mask"))
  ) {
    return "skin";
  }
  if (job.artifacts.some((a) => a.media_type.startsWith("video/")) || job.inputs.some((i) => i.media_type.startsWith("video/"))) {
    return "video";
  }
  const list = items(result);
  if (list.some((i) => typeof i.gender === "string") || (task === "face-gender" && "faces" in result)) return "faces";
  if (list.some((i) => Array.isArray(i.box)) || (task === "object-detection" && Array.isArray(result.items))) return "detection";
  return "generic";
}
