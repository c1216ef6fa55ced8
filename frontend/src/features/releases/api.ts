// Administrators only: a model's releases and replays, and the comparisons of their versions
// (/api/admin/catalog/{name}/releases, /replays). A running replay is read again every few
// seconds, and so are a comparison while its release is active or its replay runs.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { queryKeys } from "@/api/keys";
import type { ReleaseEdit, ReleaseIn, Replay, ReplayIn } from "./types";

export const POLL_MS = 2_000;
export const COMPARISON_POLL_MS = 10_000;

const keys = {
  model: (name: string) => [...queryKeys.admin, "catalog", name] as const,
  catalog: [...queryKeys.admin, "catalog"] as const,
  releases: (name: string) => [...queryKeys.admin, "releases", name] as const,
  replays: (name: string) => [...queryKeys.admin, "replays", name] as const,
  comparison: (name: string, of: "release" | "replay", id: string) => [...queryKeys.admin, "comparison", name, of, id] as const,
};

const path = (name: string) => ({ params: { path: { name } } });

/** The model with its versions (which is live, which can be released). */
export function useManagedModel(name: string) {
  return useQuery({
    queryKey: keys.model(name),
    queryFn: () => unwrap(api.GET("/api/admin/catalog/{name}", path(name))),
  });
}

export function useReleases(name: string) {
  return useQuery({
    queryKey: keys.releases(name),
    queryFn: () => unwrap(api.GET("/api/admin/catalog/{name}/releases", path(name))),
  });
}

export function useReplays(name: string) {
  return useQuery({
    queryKey: keys.replays(name),
    queryFn: () => unwrap(api.GET("/api/admin/catalog/{name}/replays", path(name))),
    refetchInterval: (query) => (query.state.data?.some((replay: Replay) => replay.state === "running") ? POLL_MS : false),
  });
}

/** After a release changes: its list, the model (its live version) and the public models.
 * The mutation ends once they are read again, so that what it says and what the page shows
 * change together. */
function useRefresh(name: string) {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: keys.releases(name) }),
      client.invalidateQueries({ queryKey: keys.catalog }),
      client.invalidateQueries({ queryKey: queryKeys.models }),
    ]);
}

export function useStartRelease(name: string) {
  const refresh = useRefresh(name);
  return useMutation({
    mutationFn: (body: ReleaseIn) => unwrap(api.POST("/api/admin/catalog/{name}/releases", { ...path(name), body })),
    onSuccess: refresh,
  });
}

export function useAdjustRelease(name: string) {
  const refresh = useRefresh(name);
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: ReleaseEdit }) =>
      unwrap(api.PATCH("/api/admin/catalog/{name}/releases/{release_id}", { params: { path: { name, release_id: id } }, body })),
    onSettled: refresh,
  });
}

export type ReleaseEnd = "promote" | "rollback";

/** Promote (the candidate goes live) or roll back; a release that ended meanwhile is a 409. */
export function useEndRelease(name: string) {
  const refresh = useRefresh(name);
  return useMutation({
    mutationFn: ({ id, how }: { id: string; how: ReleaseEnd }) => {
      const params = { params: { path: { name, release_id: id } } };
      return how === "promote"
        ? unwrap(api.POST("/api/admin/catalog/{name}/releases/{release_id}/promote", params))
        : unwrap(api.POST("/api/admin/catalog/{name}/releases/{release_id}/rollback", params));
    },
    onSettled: refresh,
  });
}

export function useStartReplay(name: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ReplayIn) => unwrap(api.POST("/api/admin/catalog/{name}/replays", { ...path(name), body })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.replays(name) }),
  });
}

export function useCancelReplay(name: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/api/admin/catalog/{name}/replays/{replay_id}/cancel", { params: { path: { name, replay_id: id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: keys.replays(name) }),
  });
}

/** A release's or a replay's comparison; `live`: read again while it can still change. */
export function useComparison(name: string, of: "release" | "replay", id: string, live: boolean) {
  return useQuery({
    queryKey: keys.comparison(name, of, id),
    queryFn: () => {
      if (of === "release") {
        return unwrap(
          api.GET("/api/admin/catalog/{name}/releases/{release_id}/comparison", { params: { path: { name, release_id: id } } }),
        );
      }
      return unwrap(api.GET("/api/admin/catalog/{name}/replays/{replay_id}/comparison", { params: { path: { name, replay_id: id } } }));
    },
    refetchInterval: live ? COMPARISON_POLL_MS : false,
  });
}
