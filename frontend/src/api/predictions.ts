// The prediction endpoints: create (XHR upload, see lib/upload.ts), read, cancel, delete,
// the signed-in user's history, and the URLs of files.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api-client";
import { uploadPrediction, type UploadRequest } from "@/lib/upload";
import { queryKeys } from "./keys";
import { isTerminal, type Artifact, type Job } from "./types";

export function getPrediction(id: string): Promise<Job> {
  return unwrap(api.GET("/api/predictions/{job_id}", { params: { path: { job_id: id } } }));
}

export function usePrediction(id: string) {
  return useQuery({
    queryKey: queryKeys.prediction(id),
    queryFn: () => getPrediction(id),
    // the events stream keeps a running job fresh; no refetch needed once it has ended
    staleTime: (query) => (query.state.data && isTerminal(query.state.data.status) ? Infinity : 0),
  });
}

export function useCreatePrediction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (request: UploadRequest) => uploadPrediction(request),
    onSuccess: (job) => {
      client.setQueryData(queryKeys.prediction(job.id), job);
      client.invalidateQueries({ queryKey: ["predictions", "mine"] });
    },
  });
}

export function cancelPrediction(id: string): Promise<Job> {
  return unwrap(api.POST("/api/predictions/{job_id}/cancel", { params: { path: { job_id: id } } }));
}

export function useCancelPrediction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: cancelPrediction,
    onSuccess: (job) => client.setQueryData(queryKeys.prediction(job.id), job),
  });
}

export function useDeletePrediction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/predictions/{job_id}", { params: { path: { job_id: id } } })),
    onSuccess: (_data, id) => {
      client.removeQueries({ queryKey: queryKeys.prediction(id) });
      client.invalidateQueries({ queryKey: ["predictions", "mine"] });
    },
  });
}

/** Delete the signed-in user's whole history (the server stops jobs still running). */
export function useDeleteAllMyPredictions() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/predictions")),
    onSuccess: () => client.invalidateQueries({ queryKey: ["predictions"] }),
  });
}

export function useMyPredictions(offset: number, limit: number, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.myPredictions(offset, limit),
    queryFn: () =>
      unwrap(api.GET("/api/predictions", { params: { query: { mine: true, offset, limit } } })),
    enabled,
    placeholderData: (previous) => previous,
  });
}

/** The events stream of a job (server-sent events named `job`). */
export function eventsUrl(id: string): string {
  return `/api/predictions/${encodeURIComponent(id)}/events`;
}

/** A URL that makes the browser save the file rather than show it. */
export function downloadUrl(url: string): string {
  return url + (url.includes("?") ? "&" : "?") + "download=true";
}

/** The main download of a job: the archive, else the annotated file, else the mask, else the
 * first file. */
export function mainDownload(job: Pick<Job, "artifacts">): Artifact | undefined {
  return (
    job.artifacts.find((a) => a.role === "archive") ??
    job.artifacts.find((a) => a.role === "annotated") ??
    job.artifacts.find((a) => a.role === "mask") ??
    job.artifacts[0]
  );
}
