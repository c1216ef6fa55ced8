import { describe, expect, it } from "vitest";
import { makeJob, makeModel } from "@/testing/fixtures";
import { batchFiles, reportClasses, reportItems, reportKind } from "./report";

const faces = { file: "b.jpg", items: [{ box: [1, 2, 3, 4], gender: "man", confidence: 0.5 }] };
const batch = makeJob({ status: "succeeded", result_kind: "batch", result: { per_file: [{ file: "a.jpg", error: "broken" }, faces] } });

describe("what a result offers to correct", () => {
  it("tells a batch's kind by the model, else by its files' items", () => {
    expect(reportKind(batch)).toBe("faces");
    expect(reportKind(batch, makeModel({ result_kinds: { image: "detections", zip: "batch" } }))).toBe("detections");
    expect(reportKind(makeJob({ result_kind: "video-detections" }))).toBe("other");
  });

  it("lists a batch's files, the failed ones marked, and one file's boxes", () => {
    expect(batchFiles(batch)).toEqual([
      { index: 0, name: "a.jpg", failed: true },
      { index: 1, name: "b.jpg", failed: false },
    ]);
    expect(reportItems(batch, "faces", null)).toEqual([]); // the whole batch: no boxes
    expect(reportItems(batch, "faces", 1)).toEqual([{ index: 0, label: "man", confidence: 0.5, box: [1, 2, 3, 4] }]);
  });

  it("takes the classes the result recorded, else the loaded model's, and a face's genders", () => {
    const recorded = makeJob({ result_kind: "detections", result: { model_classes: ["cat"] } });
    expect(reportClasses(recorded, "detections", makeModel({ classes: ["dog"] }))).toEqual(["cat"]);
    expect(reportClasses(makeJob({ result: {} }), "classification", makeModel({ classes: ["dog"] }))).toEqual(["dog"]);
    expect(reportClasses(batch, "faces")).toEqual(["woman", "man"]);
  });
});
