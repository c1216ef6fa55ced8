// Administrators only: every endpoint under /api/admin.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { queryKeys } from "@/api/keys";
import type { JobSort, JobStatus, Role } from "@/api/types";

/** What GET /api/admin/predictions takes: only the filters that are set. */
export interface AdminPredictionQuery {
  model?: string;
  user?: string;
  status?: JobStatus;
  since?: string;
  until?: string;
  name?: string;
  sort: JobSort;
  order: "asc" | "desc";
  offset: number;
  limit: number;
}

/** The admin pages' query keys, all under `queryKeys.admin` (cleared at log-out). */
const adminKeys = {
  predictions: [...queryKeys.admin, "predictions"] as const,
  predictionsPage: (query: AdminPredictionQuery) => [...queryKeys.admin, "predictions", query] as const,
  stats: (since?: string, until?: string) => [...queryKeys.admin, "stats", since ?? "", until ?? ""] as const,
  models: [...queryKeys.admin, "models"] as const,
  nodes: [...queryKeys.admin, "nodes"] as const,
  messages: [...queryKeys.admin, "messages"] as const,
  messagesPage: (offset: number) => [...queryKeys.admin, "messages", offset] as const,
  audit: (action: string, offset: number) => [...queryKeys.admin, "audit", action, offset] as const,
  users: [...queryKeys.admin, "users"] as const,
  usersPage: (offset: number, email: string) => [...queryKeys.admin, "users", offset, email] as const,
};

export function useAdminPredictions(query: AdminPredictionQuery, enabled = true) {
  return useQuery({
    queryKey: adminKeys.predictionsPage(query),
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
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.predictions }),
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
    onSuccess: () => client.invalidateQueries({ queryKey: adminKeys.predictions }),
  });
}

export function useAdminStats(since?: string, until?: string) {
  return useQuery({
    queryKey: adminKeys.stats(since, until),
    queryFn: () =>
      unwrap(api.GET("/api/admin/stats", { params: { query: { since: since || undefined, until: until || undefined } } })),
  });
}

export function useAdminModels() {
  return useQuery({
    queryKey: adminKeys.models,
    queryFn: () => unwrap(api.GET("/api/admin/models")),
    refetchInterval: 5_000,
  });
}

/** A model's title by its name, for the administrators' tables (every model of the registry,
 * disabled ones too; the name only for a model no longer there). Shares the models' query. */
export function useModelTitles(): (name: string) => string {
  const models = useQuery({ queryKey: adminKeys.models, queryFn: () => unwrap(api.GET("/api/admin/models")) });
  return (name: string) => models.data?.models.find((m) => m.name === name)?.title ?? name;
}

/** The machines that run jobs, each model's state there; refreshed like the models. */
export function useAdminNodes() {
  return useQuery({
    queryKey: adminKeys.nodes,
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
      client.invalidateQueries({ queryKey: adminKeys.models });
      client.invalidateQueries({ queryKey: adminKeys.nodes });
      client.invalidateQueries({ queryKey: queryKeys.models });
    },
  });
}

export function useReloadRegistry() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/admin/models/reload")),
    onSettled: () => {
      client.invalidateQueries({ queryKey: adminKeys.models });
      client.invalidateQueries({ queryKey: adminKeys.nodes });
      client.invalidateQueries({ queryKey: queryKeys.models });
    },
  });
}

export function useAdminMessages(offset: number, limit: number) {
  return useQuery({
    queryKey: adminKeys.messagesPage(offset),
    queryFn: () => unwrap(api.GET("/api/admin/messages", { params: { query: { offset, limit } } })),
    placeholderData: keepPreviousData,
  });
}

export function useRetryMessage() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/api/admin/messages/{message_id}/retry", { params: { path: { message_id: id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: adminKeys.messages }),
  });
}

export function useAdminAudit(action: string, offset: number, limit: number) {
  return useQuery({
    queryKey: adminKeys.audit(action, offset),
    queryFn: () =>
      unwrap(api.GET("/api/admin/audit", { params: { query: { action: action || undefined, offset, limit } } })),
    placeholderData: keepPreviousData,
  });
}

/** Accounts, newest first; `email`: only addresses containing it. */
export function useAdminUsers(offset: number, limit: number, email = "") {
  return useQuery({
    queryKey: adminKeys.usersPage(offset, email),
    queryFn: () =>
      unwrap(api.GET("/api/admin/users", { params: { query: { offset, limit, ...(email ? { email } : {}) } } })),
    placeholderData: keepPreviousData,
  });
}

/** Mail a user a link to set a new password; without a mail server the answer holds the
 * link, for the administrator to pass on (it works once). */
export function useSendResetLink() {
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/api/admin/users/{user_id}/password-reset", { params: { path: { user_id: id } } })),
  });
}

export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, role, disabled }: { id: string; role?: Role; disabled?: boolean }) =>
      unwrap(api.PATCH("/api/admin/users/{user_id}", { params: { path: { user_id: id } }, body: { role, disabled } })),
    onSettled: () => client.invalidateQueries({ queryKey: adminKeys.users }),
  });
}
