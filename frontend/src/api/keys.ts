// Query keys, in one place so that mutations invalidate the right queries.
import type { AdminPredictionQuery } from "./types";

export const queryKeys = {
  me: ["auth", "me"] as const,
  models: ["models"] as const,
  model: (name: string) => ["models", name] as const,
  prediction: (id: string) => ["predictions", id] as const,
  myPredictions: (offset: number, limit: number) => ["predictions", "mine", offset, limit] as const,
  admin: {
    all: ["admin"] as const,
    predictions: (query: AdminPredictionQuery) => ["admin", "predictions", query] as const,
    stats: (since?: string, until?: string) => ["admin", "stats", since ?? "", until ?? ""] as const,
    models: ["admin", "models"] as const,
    nodes: ["admin", "nodes"] as const,
    messages: (offset: number) => ["admin", "messages", offset] as const,
    audit: (action: string, offset: number) => ["admin", "audit", action, offset] as const,
    users: (offset: number) => ["admin", "users", offset] as const,
  },
};
