// Administrators only: users' reports on wrong results (flags) and the flagged sets as datasets.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { queryKeys } from "@/api/keys";
import type { FlagState } from "@/api/types";
import type { ExportFormat } from "./feedback";

export interface FeedbackQuery {
  model?: string;
  state?: FlagState;
  offset: number;
  limit: number;
}

const feedbackKeys = {
  all: [...queryKeys.admin, "feedback"] as const,
  page: (query: FeedbackQuery) => [...queryKeys.admin, "feedback", query] as const,
};

export function useAdminFeedback(query: FeedbackQuery) {
  return useQuery({
    queryKey: feedbackKeys.page(query),
    queryFn: () => unwrap(api.GET("/api/admin/feedback", { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

/** Resolve, dismiss or reopen a flag (audited). */
export function useSetFlagState() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, state }: { id: string; state: FlagState }) =>
      unwrap(api.PATCH("/api/admin/feedback/{flag_id}", { params: { path: { flag_id: id } }, body: { state } })),
    onSettled: () => client.invalidateQueries({ queryKey: feedbackKeys.all }),
  });
}

/** The address of a model's flagged set as a ZIP dataset: a plain link downloads it with the
 * session cookie, streamed by the browser rather than held in memory here. */
export function exportHref(model: string, format: ExportFormat, state: FlagState | "all"): string {
  const query = new URLSearchParams({ model, format, state });
  return `/api/admin/feedback/export?${query.toString()}`;
}
