// What more than one feature does with a prediction: delete it, and the URLs of its files.
// Each feature's own calls are in its api.ts (create: models; follow and cancel:
// predictions; the history list: history).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { queryKeys } from "./keys";
import type { Artifact, Job, JobStatus } from "./types";

export function useDeletePrediction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/predictions/{job_id}", { params: { path: { job_id: id } } })),
    onSuccess: (_data, id) => {
      client.removeQueries({ queryKey: queryKeys.prediction(id) });
      client.invalidateQueries({ queryKey: queryKeys.myPredictions });
    },
  });
}

/** A URL that makes the browser save the file rather than show it. */
export function downloadUrl(url: string): string {
  return url + (url.includes("?") ? "&" : "?") + "download=true";
}

/** The file to offer as a job's download: the one the API names its `main_output`, while
 * the job's files are kept. */
export function mainOutput(job: Pick<Job, "artifacts" | "main_output" | "files_expired_at">): Artifact | undefined {
  if (job.files_expired_at || !job.main_output) return undefined;
  return job.artifacts.find((artifact) => artifact.name === job.main_output);
}

/** A job's state as a person should read it: a succeeded job whose model found nothing to
 * work on (e.g. a skull-stripped volume, refused with its `finding`) is "nothing-found", not a
 * green success. The API decides it (`outcome`), never the wording of a message. */
export type JobOutcome = JobStatus | "nothing-found";

export function jobOutcome(job: Pick<Job, "status" | "outcome">): JobOutcome {
  return job.outcome === "nothing_found" ? "nothing-found" : job.status;
}

/** Why a "nothing-found" job has no result, in the model's words (its `finding`). */
export function nothingFoundReason(job: Pick<Job, "status" | "outcome" | "result">): string | null {
  if (jobOutcome(job) !== "nothing-found") return null;
  const finding = job.result?.finding;
  return typeof finding === "string" && finding ? finding : "The model found nothing to work on in this file.";
}
