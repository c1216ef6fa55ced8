import type { Job, ModelCard } from "@/api/types";

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
    main_output: null,
    result: null,
    result_kind: "generic",
    timings: { created: "2025-01-01T00:00:00Z", batch_size: 1 },
    duration_ms: null,
    error: null,
    links: {},
    anonymous: true,
    yours: true,
    pinned: false,
    files_expired_at: null,
    files_purged: false,
    lane: "live",
    ...overrides,
  };
}

/** The object detection model as GET /api/models describes it. */
export function makeModel(overrides: Partial<ModelCard> = {}): ModelCard {
  return {
    name: "object-detection",
    title: "Object detection",
    description: "",
    task: "object-detection",
    kinds: ["image", "video", "zip"],
    accepts: ["image/jpeg", "image/png", "video/mp4", "video/webm", "application/zip"],
    extensions: [".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".mp4", ".m4v", ".webm", ".zip"],
    takes: "images (JPEG, PNG, WebP, BMP, TIFF) or videos (MP4, MOV, AVI, WebM, MKV) or ZIP archives of images",
    max_upload_bytes: 2 * 1024 * 1024,
    max_files: 1,
    params: {},
    outputs: [],
    result_kinds: { image: "detections", zip: "batch", video: "video-detections" },
    state: "loaded",
    ...overrides,
  };
}
