// GET /api/models and GET /api/models/{name}
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { queryKeys } from "./keys";
import type { ModelCard } from "./types";

export function getModels(): Promise<ModelCard[]> {
  return unwrap(api.GET("/api/models"));
}

export function getModel(name: string): Promise<ModelCard> {
  return unwrap(api.GET("/api/models/{name}", { params: { path: { name } } }));
}

export function useModels() {
  // the state (loaded, loading...) changes: refresh now and then while the page is open
  return useQuery({ queryKey: queryKeys.models, queryFn: getModels, refetchInterval: 30_000 });
}

export function useModel(name: string) {
  return useQuery({
    queryKey: queryKeys.model(name),
    queryFn: () => getModel(name),
    refetchInterval: (query) => (query.state.data?.state === "loading" ? 3_000 : 30_000),
  });
}
