// The signed-in user's own predictions: one page of them, or delete them all.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { queryKeys } from "@/api/keys";

export function useMyPredictions(offset: number, limit: number, enabled: boolean) {
  return useQuery({
    queryKey: [...queryKeys.myPredictions, offset, limit],
    queryFn: () =>
      unwrap(api.GET("/api/predictions", { params: { query: { mine: true, offset, limit } } })),
    enabled,
    placeholderData: (previous) => previous,
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
