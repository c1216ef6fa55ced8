// Administrators only: the models in the store and their versions (/api/admin/catalog...).
// The list is read again every few seconds while a version is being checked.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { queryKeys } from "@/api/keys";
import { pollInterval } from "./describe";
import type { ModelEdit, NewModel, VersionEdit } from "./types";
import { uploadVersion, type VersionUpload } from "./upload";

const catalogKeys = {
  all: [...queryKeys.admin, "catalog"] as const,
};

export function useCatalog() {
  return useQuery({
    queryKey: catalogKeys.all,
    queryFn: () => unwrap(api.GET("/api/admin/catalog")),
    refetchInterval: (query) => pollInterval(query.state.data),
  });
}

/** After a change: the catalog, and the public list of models (titles, live versions). */
function useRefresh() {
  const client = useQueryClient();
  return () => {
    client.invalidateQueries({ queryKey: catalogKeys.all });
    client.invalidateQueries({ queryKey: queryKeys.models });
  };
}

export function useCreateModel() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (body: NewModel) => unwrap(api.POST("/api/admin/catalog", { body })),
    onSuccess: refresh,
  });
}

export function useEditModel(name: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (body: ModelEdit) => unwrap(api.PATCH("/api/admin/catalog/{name}", { params: { path: { name } }, body })),
    onSettled: refresh,
  });
}

export function useDeleteModel(name: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/admin/catalog/{name}", { params: { path: { name } } })),
    onSettled: refresh,
  });
}

export function useAddVersion() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: (upload: VersionUpload) => uploadVersion(upload),
    onSuccess: refresh,
  });
}

export function useEditVersion(name: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: VersionEdit }) =>
      unwrap(api.PATCH("/api/admin/catalog/{name}/versions/{version_id}", { params: { path: { name, version_id: id } }, body })),
    onSettled: refresh,
  });
}

export type VersionAction = "live" | "retire" | "delete";

/** Make a version live, retire it or delete it; refusals (409) come back with the reason. */
export function useVersionAction(name: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async ({ id, action }: { id: string; action: VersionAction }) => {
      const params = { params: { path: { name, version_id: id } } };
      if (action === "live") await unwrap(api.POST("/api/admin/catalog/{name}/versions/{version_id}/live", params));
      else if (action === "retire") await unwrap(api.POST("/api/admin/catalog/{name}/versions/{version_id}/retire", params));
      else await unwrap(api.DELETE("/api/admin/catalog/{name}/versions/{version_id}", params));
    },
    onSettled: refresh,
  });
}
