// What a finished prediction can be compared with: the other versions of its model, and the
// other models that take its files and give the same kind of result (so that the two results
// can be matched box by box, label by label or voxel by voxel).
import type { Job, ModelCard, ModelVersionInfo } from "@/api/types";

/** A file's kind as the server names it from its media type (media/sniff.kind_of). */
export function kindOf(mediaType: string): string {
  if (mediaType.startsWith("image/")) return "image";
  if (mediaType.startsWith("video/")) return "video";
  if (mediaType.startsWith("application/x-nifti")) return "nifti";
  if (mediaType === "application/zip") return "zip";
  return "other";
}

/** The kinds of result a model gives for these file kinds (a ZIP's images: the image kind). */
function resultKindsFor(model: ModelCard, kinds: string[]): string[] {
  const wanted = kinds.includes("zip") ? [...kinds, "image"] : kinds;
  return wanted.map((kind) => model.result_kinds[kind] ?? "");
}

export interface Choice {
  /** the select's value: "model" for its live version, "model@versionId" for one version */
  value: string;
  label: string;
  model: string;
  version?: string;
}

/** Another version of the job's own model, newest first, without the one that made it. */
export function versionChoices(job: Job, versions: ModelVersionInfo[]): Choice[] {
  return versions
    .filter((version) => version.number !== job.model_version)
    .map((version) => ({
      value: `${job.model}@${version.id}`,
      label: `Version ${version.number}${version.state === "live" ? " (live)" : ""}${version.note ? `: ${version.note}` : ""}`,
      model: job.model,
      version: version.id,
    }));
}

/** The other models that take every file of the job and give the same kind of result. */
export function modelChoices(job: Job, models: ModelCard[]): Choice[] {
  const own = models.find((model) => model.name === job.model);
  const kinds = [...new Set(job.inputs.map((input) => kindOf(input.media_type)))];
  if (!own || kinds.length === 0) return [];
  const results = resultKindsFor(own, kinds).join();
  return models
    .filter((model) => model.name !== job.model && kinds.every((kind) => model.kinds.includes(kind)))
    .filter((model) => resultKindsFor(model, kinds).join() === results)
    .map((model) => ({
      value: model.name,
      label: model.state === "unavailable" ? `${model.title} (unavailable now)` : model.title,
      model: model.name,
    }));
}

/** The chosen entry of a list of choices, by its value. */
export function chosen(choices: Choice[], value: string): Choice | undefined {
  return choices.find((choice) => choice.value === value);
}

/** The two sides as the comparison names them: versions of one model, or two models. */
export function pairLabels(job: Job, other: Job, models: ModelCard[]): { baseline: string; candidate: string } {
  const name = (side: Job) => {
    const version = side.model_version != null ? `version ${side.model_version}` : "its live version";
    if (side.model === job.model && other.model === job.model) return version.charAt(0).toUpperCase() + version.slice(1);
    const title = models.find((model) => model.name === side.model)?.title ?? side.model;
    return side.model_version != null ? `${title}, ${version}` : title;
  };
  return { baseline: name(job), candidate: name(other) };
}

/** Whether the job's page offers to compare it: its owner's, succeeded, its files kept, and a
 * user's own prediction (not a release's copy). */
export function comparable(job: Job): boolean {
  return job.yours && job.status === "succeeded" && !job.files_expired_at && (job.lane ?? "live") === "live";
}
