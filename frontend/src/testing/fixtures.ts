import type { Job } from "@/api/types";

export function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    id: "a".repeat(32),
    model: "toy",
    status: "queued",
    progress: 0,
    message: "waiting for a worker",
    inputs: [],
    params: {},
    artifacts: [],
    result: null,
    timings: { created: "2025-01-01T00:00:00Z" },
    duration_ms: null,
    error: null,
    links: {},
    ...overrides,
  };
}
