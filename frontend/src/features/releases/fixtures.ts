// Test data: a model with versions, releases, replays and a comparison as the API answers them.
import { boxes, DETECTIONS } from "@/components/agreement/fixtures";
import { makeJob } from "@/testing/fixtures";
import type { Comparison, ManagedModel, ModelVersion, Release, Replay } from "./types";

export function makeVersion(overrides: Partial<ModelVersion> = {}): ModelVersion {
  return {
    id: "v1",
    number: 1,
    state: "ready",
    reason: null,
    weights: [{ file: "yolov8n.tflite", sha256: "0123456789abcdef".repeat(4), size: 3_300_000 }],
    runtime: null,
    options: {},
    params: {},
    card: null,
    has_example: true,
    validation: null,
    note: "",
    created_at: "2025-03-01T10:00:00Z",
    created_by: "admin@example.org",
    validated_at: "2025-03-01T10:00:05Z",
    ...overrides,
  };
}

/** "Street detector": version 1 live, version 2 ready, version 3 failed. */
export function makeModel(overrides: Partial<ManagedModel> = {}): ManagedModel {
  return {
    id: "street",
    title: "Street detector",
    description: "",
    task: "object-detection",
    family: "yolo",
    group: "torch",
    enabled: true,
    max_upload_mb: 50,
    max_files: 1,
    timeout_s: null,
    retention_days: null,
    live_version: "v1",
    from_file: false,
    created_at: "2025-03-01T09:00:00Z",
    created_by: "admin@example.org",
    updated_at: "2025-03-01T09:00:00Z",
    versions: [
      makeVersion({ id: "v1", number: 1, state: "live", note: "first weights" }),
      makeVersion({ id: "v2", number: 2, state: "ready", note: "conf 0.5" }),
      makeVersion({ id: "v3", number: 3, state: "failed" }),
    ],
    ...overrides,
  };
}

export function makeRelease(overrides: Partial<Release> = {}): Release {
  return {
    id: "r1",
    model: "street",
    candidate: "v2",
    candidate_number: 2,
    baseline: "v1",
    baseline_number: 1,
    canary_share: 0.5,
    shadow_share: 0,
    state: "active",
    note: "",
    created_at: "2025-03-02T10:00:00Z",
    created_by: "admin@example.org",
    ended_at: null,
    ended_by: null,
    shadow_skipped: 0,
    ...overrides,
  };
}

export function makeReplay(overrides: Partial<Replay> = {}): Replay {
  return {
    id: "p1",
    model: "street",
    version: "v2",
    version_number: 2,
    filters: { name: "bus" },
    chosen: 4,
    total: 4,
    skipped: 0,
    state: "running",
    progress: { queued: 1, running: 1, succeeded: 1, failed: 1, cancelled: 0 },
    created_at: "2025-03-02T09:00:00Z",
    created_by: "admin@example.org",
    finished_at: null,
    ...overrides,
  };
}

const figures = (version: string, number: number, predictions: number, failed: number, p50: number) => ({
  version,
  number,
  predictions,
  failed,
  latency_ms: { p50, p90: p50 * 2, p99: p50 * 3 },
  model_ms: { p50: p50 / 2, p90: p50, p99: p50 * 1.5 },
});

/** Version 2 against version 1: detections, one pair where they disagree by half. */
export function makeComparison(overrides: Partial<Comparison> = {}): Comparison {
  const input = { name: "bus.jpg", size: 1000, sha256: "0".repeat(64), media_type: "image/jpeg", url: "/api/predictions/b1/inputs/in.jpg" };
  return {
    baseline: figures("v1", 1, 40, 0, 120),
    candidate: figures("v2", 2, 38, 2, 1500),
    summaries: { detections: DETECTIONS },
    pairs: 4,
    not_compared: { "the files are gone": 1 },
    worst: [
      {
        baseline: makeJob({ id: "b1", status: "succeeded", result_kind: "detections", inputs: [input], model_version: 1 }),
        candidate: makeJob({ id: "c1", status: "succeeded", result_kind: "detections", inputs: [input], model_version: 2, lane: "replay" }),
        agreement: { kind: "detections", boxes: boxes(1, 1, 1), per_class: {}, disagreement: 0.5 },
      },
    ],
    ...overrides,
  };
}
