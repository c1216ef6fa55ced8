// What more than one feature does with a prediction: delete it, and the URLs of its files.
// Each feature's own calls are in its api.ts (create: models; follow and cancel:
// predictions; the history list: history).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { queryKeys } from "./keys";
import type { Artifact, Job } from "./types";

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
