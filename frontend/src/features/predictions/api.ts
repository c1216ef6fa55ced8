// One prediction: read it, follow it (server-sent events), cancel it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { queryKeys } from "@/api/keys";
import { isTerminal, type Job } from "@/api/types";
import { parseFrames } from "./components/results/frames";

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

/** The events stream of a job (server-sent events named `job`). */
export function eventsUrl(id: string): string {
  return `/api/predictions/${encodeURIComponent(id)}/events`;
}

/** A video job's boxes frame by frame (its detections.jsonl at `url`), read once. */
export function useVideoFrames(jobId: string, url: string | undefined) {
  return useQuery({
    queryKey: [...queryKeys.prediction(jobId), "frames", url],
    queryFn: async () => {
      const response = await fetch(url as string, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`the boxes of the video could not be read (HTTP ${response.status})`);
      return parseFrames(await response.text());
    },
    enabled: Boolean(url),
    staleTime: Infinity,
  });
}
