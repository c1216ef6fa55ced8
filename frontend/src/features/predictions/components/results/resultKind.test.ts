import { describe, expect, it } from "vitest";
import { BatchResult } from "./BatchResult";
import { ClassificationResult } from "./ClassificationResult";
import { DetectionResult } from "./DetectionResult";
import { FaceResult } from "./FaceResult";
import { GenericResult } from "./GenericResult";
import { knownKind, VIEWERS } from "./resultKind";
import { SegmentationResult } from "./SegmentationResult";
import { SkinResult } from "./SkinResult";
import { VideoResult } from "./VideoResult";

describe("result kinds", () => {
  it("map every declared kind to its viewer", () => {
    expect(VIEWERS).toEqual({
      detections: DetectionResult,
      faces: FaceResult,
      "video-detections": VideoResult,
      "volume-mask": SkinResult,
      batch: BatchResult,
      classification: ClassificationResult,
      segmentation: SegmentationResult,
      generic: GenericResult,
    });
  });

  it("keep the kinds this UI knows", () => {
    for (const kind of Object.keys(VIEWERS)) expect(knownKind(kind)).toBe(kind);
  });

  it("fall back to generic for a kind this UI does not know", () => {
    expect(knownKind("point-cloud")).toBe("generic");
    expect(knownKind("toString")).toBe("generic");
    expect(knownKind(undefined)).toBe("generic");
    expect(knownKind(null)).toBe("generic");
  });
});
