// Administrators only: every endpoint under /api/admin.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api-client";
import { queryKeys } from "./keys";
import type { AdminModels, AdminPredictionQuery, Role, Stats } from "./types";

export function useAdminPredictions(query: AdminPredictionQuery, enabled = true) {
  return useQuery({
    queryKey: queryKeys.admin.predictions(query),
    queryFn: () => unwrap(api.GET("/api/admin/predictions", { params: { query } })),
    placeholderData: keepPreviousData,
    enabled,
  });
}

export function useAdminDeletePrediction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/admin/predictions/{job_id}", { params: { path: { job_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["admin", "predictions"] }),
  });
}

export type FilesAction = "pin" | "unpin" | "purge";

/** Pin or unpin a prediction's files against the retention period, or delete them now. */
export function useAdminFilesAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: FilesAction }) => {
      const params = { params: { path: { job_id: id } } };
      if (action === "pin") return unwrap(api.POST("/api/admin/predictions/{job_id}/pin", params));
      if (action === "unpin") return unwrap(api.POST("/api/admin/predictions/{job_id}/unpin", params));
      return unwrap(api.POST("/api/admin/predictions/{job_id}/purge", params));
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ["admin", "predictions"] }),
  });
}

export function useAdminStats(since?: string, until?: string) {
  return useQuery({
    queryKey: queryKeys.admin.stats(since, until),
    queryFn: async () =>
      (await unwrap(
        api.GET("/api/admin/stats", { params: { query: { since: since || undefined, until: until || undefined } } }),
      )) as unknown as Stats,
  });
}

export function useAdminModels() {
  return useQuery({
    queryKey: queryKeys.admin.models,
    queryFn: async () => (await unwrap(api.GET("/api/admin/models"))) as unknown as AdminModels,
    refetchInterval: 5_000,
  });
}

/** The machines that run jobs, each model's state there; refreshed like the models. */
export function useAdminNodes() {
  return useQuery({
    queryKey: queryKeys.admin.nodes,
    queryFn: () => unwrap(api.GET("/api/admin/nodes")),
    refetchInterval: 5_000,
  });
}

export type ModelAction = "load" | "unload" | "reload";

export function useModelAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, action }: { name: string; action: ModelAction }) =>
      unwrap(api.POST("/api/admin/models/{name}/{action}", { params: { path: { name, action } } })),
    onSettled: () => {
      client.invalidateQueries({ queryKey: queryKeys.admin.models });
      client.invalidateQueries({ queryKey: queryKeys.admin.nodes });
      client.invalidateQueries({ queryKey: queryKeys.models });
    },
  });
}

export function useReloadRegistry() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/admin/models/reload")),
    onSettled: () => {
      client.invalidateQueries({ queryKey: queryKeys.admin.models });
      client.invalidateQueries({ queryKey: queryKeys.admin.nodes });
      client.invalidateQueries({ queryKey: queryKeys.models });
    },
  });
}

export function useAdminMessages(offset: number, limit: number) {
  return useQuery({
    queryKey: queryKeys.admin.messages(offset),
    queryFn: () => unwrap(api.GET("/api/admin/messages", { params: { query: { offset, limit } } })),
    placeholderData: keepPreviousData,
  });
}

export function useRetryMessage() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/api/admin/messages/{message_id}/retry", { params: { path: { message_id: id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ["admin", "messages"] }),
  });
}

export function useAdminAudit(action: string, offset: number, limit: number) {
  return useQuery({
    queryKey: queryKeys.admin.audit(action, offset),
    queryFn: () =>
      unwrap(api.GET("/api/admin/audit", { params: { query: { action: action || undefined, offset, limit } } })),
    placeholderData: keepPreviousData,
  });
}

export function useAdminUsers(offset: number, limit: number) {
  return useQuery({
    queryKey: queryKeys.admin.users(offset),
    queryFn: () => unwrap(api.GET("/api/admin/users", { params: { query: { offset, limit } } })),
    placeholderData: keepPreviousData,
  });
}

export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, role, disabled }: { id: string; role?: Role; disabled?: boolean }) =>
      unwrap(api.PATCH("/api/admin/users/{user_id}", { params: { path: { user_id: id } }, body: { role, disabled } })),
    onSettled: () => client.invalidateQueries({ queryKey: ["admin", "users"] }),
  });
}
