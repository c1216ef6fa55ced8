// GET /api/admin/models/{name}/drift: a model version's recent jobs against its reference.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import { queryKeys } from "@/api/keys";

export interface DriftQuery {
  /** the version's id; undefined: the live one */
  version?: string;
  /** the recent window: the last so many hours */
  recentHours: number;
  /** a reference period (ISO times); neither: the version's first jobs */
  referenceSince?: string;
  referenceUntil?: string;
}

export function useDrift(model: string, query: DriftQuery) {
  return useQuery({
    queryKey: [...queryKeys.admin, "drift", model, query] as const,
    queryFn: () =>
      unwrap(
        api.GET("/api/admin/models/{name}/drift", {
          params: {
            path: { name: model },
            query: {
              version: query.version,
              recent_hours: query.recentHours,
              reference_since: query.referenceSince,
              reference_until: query.referenceUntil,
            },
          },
        }),
      ),
    enabled: model !== "",
  });
}
