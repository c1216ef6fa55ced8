import { describe, expect, it } from "vitest";
import { resultKind } from "./resultKind";

const art = (name: string, media_type: string, role: string) => ({ name, media_type, role, size: 1, url: `/f/${name}` });
const input = (name: string, media_type: string) => ({ name, media_type, size: 1, sha256: "", url: `/i/${name}` });

describe("resultKind", () => {
  it("batch when there is per_file", () => {
    expect(resultKind({ result: { files: 2, per_file: [] }, artifacts: [], inputs: [] })).toBe("batch");
  });
  it("video for a webm artifact", () => {
    expect(resultKind({ result: { counts: {} }, artifacts: [art("annotated.webm", "video/webm", "annotated")], inputs: [] })).toBe("video");
  });
  it("faces when items have a gender", () => {
    expect(resultKind({ result: { items: [{ box: [1, 2, 3, 4], gender: "woman" }] }, artifacts: [], inputs: [] })).toBe("faces");
    expect(resultKind({ result: { faces: 0, items: [] }, artifacts: [], inputs: [] }, "face-gender")).toBe("faces");
  });
  it("detection when items have boxes", () => {
    expect(resultKind({ result: { items: [{ box: [1, 2, 3, 4], label: "car" }] }, artifacts: [], inputs: [] })).toBe("detection");
    expect(resultKind({ result: { count: 0, items: [] }, artifacts: [], inputs: [] }, "object-detection")).toBe("detection");
  });
  it("skin for a NIfTI mask", () => {
    expect(
      resultKind({
        result: { voxels: 3 },
        artifacts: [art("skin_mask.nii.gz", "application/gzip", "mask")],
        inputs: [input("head.nii.gz", "application/x-nifti+gzip")],
      }),
    ).toBe("skin");
  });
  it("generic for anything else (the toy inverter, a null result)", () => {
    expect(resultKind({ result: { images: [{ name: "a.png" }], factor: 1 }, artifacts: [], inputs: [] })).toBe("generic");
    expect(resultKind({ result: null, artifacts: [], inputs: [] })).toBe("generic");
  });
});
