// Test data: models and versions as GET /api/admin/catalog answers them.
import type { ManagedModel, ModelVersion } from "./types";

export function makeVersion(overrides: Partial<ModelVersion> = {}): ModelVersion {
  return {
    id: "v1",
    number: 1,
    state: "ready",
    reason: null,
    weights: [{ file: "0123456789abcdef-resnet.onnx", sha256: "0123456789abcdef".repeat(4), size: 2_500_000 }],
    runtime: null,
    options: {},
    params: {},
    card: null,
    has_example: true,
    validation: {
      runtime: {
        requested: "auto",
        chosen: "onnxruntime",
        candidates: [
          { name: "onnxruntime", ms: 12.34, error: null },
          { name: "openvino", ms: 20.5, error: null },
          { name: "litert", ms: null, error: "not a TFLite file" },
        ],
      },
      load_ms: 845.2,
      warmup_ms: 30.1,
      latency_ms: 41.7,
      example: { file: "cat.jpg", count: 5, category: "tabby cat", probability: 0.82, uncertain: false, multi_label: false },
      classes: ["tabby cat", "tiger cat", "dog"],
    },
    note: "",
    created_at: "2025-03-01T10:00:00Z",
    created_by: "admin@example.org",
    validated_at: "2025-03-01T10:00:05Z",
    ...overrides,
  };
}

export function makeManaged(overrides: Partial<ManagedModel> = {}): ManagedModel {
  return {
    id: "pets",
    title: "Pet classifier",
    description: "",
    task: "image-classification",
    family: "image-classification",
    group: "cpu",
    enabled: true,
    max_upload_mb: 50,
    max_files: 1,
    timeout_s: null,
    retention_days: null,
    live_version: null,
    from_file: false,
    created_at: "2025-03-01T09:00:00Z",
    created_by: "admin@example.org",
    updated_at: "2025-03-01T09:00:00Z",
    versions: [],
    ...overrides,
  };
}
