import { describe, expect, it } from "vitest";
import { describeProvenance, provenanceOf } from "./provenance";

describe("provenance", () => {
  it("reads the result's provenance and says it in words", () => {
    const result = {
      provenance: {
        model: "cats",
        version: 2,
        weights: [{ file: "a.onnx", sha256: "0123456789abcdef0123" }],
        runtime: "openvino",
        release: "0.9.0",
      },
    };
    const p = provenanceOf(result);
    expect(p).not.toBeNull();
    expect(describeProvenance(p!)).toBe("runtime openvino, a.onnx (sha256 0123456789ab…), Model Gallery 0.9.0");
  });

  it("is absent from results made before it was recorded", () => {
    expect(provenanceOf({ items: [] })).toBeNull();
    expect(provenanceOf(null)).toBeNull();
  });
});
