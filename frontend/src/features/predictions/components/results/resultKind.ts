// Which viewer shows a job's result: the server tells the job's result kind (decided from the
// model's declared result_kinds and the job's inputs), so nothing is guessed from the shape.
import type { ComponentType } from "react";
import type { Job, ResultKind } from "@/api/types";
import { BatchResult } from "./BatchResult";
import { ClassificationResult } from "./ClassificationResult";
import { DetectionResult } from "./DetectionResult";
import { FaceResult } from "./FaceResult";
import { GenericResult } from "./GenericResult";
import { SegmentationResult } from "./SegmentationResult";
import { SkinResult } from "./SkinResult";
import { VideoResult } from "./VideoResult";

export type Viewer = ComponentType<{ job: Job }>;

export const VIEWERS: Record<ResultKind, Viewer> = {
  detections: DetectionResult,
  faces: FaceResult,
  "video-detections": VideoResult,
  "volume-mask": SkinResult,
  classification: ClassificationResult,
  segmentation: SegmentationResult,
  batch: BatchResult,
  generic: GenericResult,
};

/** The kind as this UI knows it: one it does not know (from a newer server) is shown as generic. */
export function knownKind(kind: string | null | undefined): ResultKind {
  return kind && Object.hasOwn(VIEWERS, kind) ? (kind as ResultKind) : "generic";
}
