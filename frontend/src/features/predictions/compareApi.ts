// Comparing a prediction (the job's owner): the versions of a model it can run on, running
// its upload again on another model or version (a new prediction, followed like any), and how
// the two results agree.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { queryKeys } from "@/api/keys";

export function useComparableVersions(model: string) {
  return useQuery({
    queryKey: [...queryKeys.model(model), "versions"],
    queryFn: () => unwrap(api.GET("/api/models/{name}/versions", { params: { path: { name: model } } })),
    staleTime: 60_000,
  });
}

export interface RunAgain {
  model: string;
  version?: string;
}

export function useRunAgain(jobId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: RunAgain) =>
      unwrap(api.POST("/api/predictions/{job_id}/compare", { params: { path: { job_id: jobId } }, body })),
    onSuccess: (job) => {
      client.setQueryData(queryKeys.prediction(job.id), job);
      client.invalidateQueries({ queryKey: queryKeys.myPredictions });
    },
  });
}

/** How two results of one upload agree; asked once both have succeeded. */
export function useAgreement(jobId: string, otherId: string, enabled: boolean) {
  return useQuery({
    queryKey: [...queryKeys.prediction(jobId), "agreement", otherId],
    queryFn: () =>
      unwrap(api.GET("/api/predictions/{job_id}/agreement/{other_id}", { params: { path: { job_id: jobId, other_id: otherId } } })),
    enabled,
    staleTime: Infinity,
  });
}
