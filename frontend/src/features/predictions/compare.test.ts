import { describe, expect, it } from "vitest";
import { makeJob, makeModel } from "@/testing/fixtures";
import { comparable, kindOf, modelChoices, pairLabels, versionChoices } from "./compare";

const image = { name: "bus.jpg", size: 1, sha256: "", media_type: "image/jpeg", url: "/x" };
const job = makeJob({ status: "succeeded", model: "object-detection", model_version: 1, result_kind: "detections", inputs: [image] });
const models = [
  makeModel(),
  makeModel({ name: "yolov5", title: "YOLOv5 nano" }),
  makeModel({ name: "faces", title: "Faces", kinds: ["image", "zip"], result_kinds: { image: "faces", zip: "batch" } }),
  makeModel({ name: "skin", title: "Skin", kinds: ["nifti"], result_kinds: { nifti: "volume-mask" } }),
  makeModel({ name: "down", title: "Down detector", state: "unavailable" }),
];

describe("what a prediction can be compared with", () => {
  it("names a file's kind as the server does", () => {
    expect(["image/png", "video/mp4", "application/zip", "application/x-nifti-gz", "text/plain"].map(kindOf)).toEqual([
      "image",
      "video",
      "zip",
      "nifti",
      "other",
    ]);
  });

  it("offers the other models that take the file and give the same kind of result", () => {
    expect(modelChoices(job, models).map((choice) => choice.label)).toEqual(["YOLOv5 nano", "Down detector (unavailable now)"]);
    const batch = makeJob({ ...job, model: "faces", result_kind: "batch", inputs: [{ ...image, media_type: "application/zip" }] });
    // a ZIP compares by its images' kind: no detector matches the face model's batches
    expect(modelChoices(batch, models)).toEqual([]);
  });

  it("offers the other versions of the model, not the one that made it", () => {
    const versions = [
      { id: "v2", number: 2, state: "ready" as const, note: "conf 0.5", created_at: "" },
      { id: "v1", number: 1, state: "live" as const, note: "", created_at: "" },
    ];
    expect(versionChoices(job, versions)).toEqual([
      { value: "object-detection@v2", label: "Version 2: conf 0.5", model: "object-detection", version: "v2" },
    ]);
  });

  it("names the two sides by version, or by model when they differ", () => {
    const other = makeJob({ ...job, id: "b".repeat(32), model_version: 2 });
    expect(pairLabels(job, other, models)).toEqual({ baseline: "Version 1", candidate: "Version 2" });
    const yolov5 = makeJob({ ...job, id: "c".repeat(32), model: "yolov5", model_version: 3 });
    expect(pairLabels(job, yolov5, models)).toEqual({ baseline: "Object detection, version 1", candidate: "YOLOv5 nano, version 3" });
  });

  it("is offered to the owner of a live prediction that succeeded and still has its files", () => {
    expect(comparable(job)).toBe(true);
    expect(comparable({ ...job, yours: false })).toBe(false);
    expect(comparable({ ...job, status: "failed" })).toBe(false);
    expect(comparable({ ...job, files_expired_at: "2025-01-02T00:00:00Z" })).toBe(false);
    expect(comparable({ ...job, lane: "shadow" })).toBe(false);
  });
});
