import { describe, expect, it } from "vitest";
import {
  captionPosition,
  classCounts,
  detectionsFromFaces,
  detectionsFromObjects,
  fitSize,
  scaleBox,
  toggleLabel,
  visibleDetections,
  type Detection,
} from "./boxes";

const det = (label: string, confidence: number, index = 0): Detection => ({
  label,
  confidence,
  box: [0, 0, 10, 10],
  caption: label,
  index,
});

describe("scaleBox", () => {
  it("maps original-image pixels to the displayed size", () => {
    // a 1920×1080 photo shown 960×540: everything halves
    expect(scaleBox([100, 200, 500, 600], { width: 1920, height: 1080 }, { width: 960, height: 540 })).toEqual({
      x: 50,
      y: 100,
      width: 200,
      height: 200,
    });
  });

  it("scales each axis on its own", () => {
    const rect = scaleBox([10, 10, 20, 30], { width: 100, height: 100 }, { width: 200, height: 50 });
    expect(rect).toEqual({ x: 20, y: 5, width: 20, height: 10 });
  });

  it("keeps the size when shown at natural size and enlarges when shown larger", () => {
    expect(scaleBox([1, 2, 3, 4], { width: 10, height: 10 }, { width: 10, height: 10 })).toEqual({ x: 1, y: 2, width: 2, height: 2 });
    expect(scaleBox([1, 2, 3, 4], { width: 10, height: 10 }, { width: 30, height: 30 })).toEqual({ x: 3, y: 6, width: 6, height: 6 });
  });

  it("clips boxes that reach outside the image", () => {
    const rect = scaleBox([-20, -5, 120, 50], { width: 100, height: 100 }, { width: 50, height: 50 });
    expect(rect).toEqual({ x: 0, y: 0, width: 50, height: 25 });
  });

  it("accepts corners in either order", () => {
    expect(scaleBox([30, 40, 10, 20], { width: 100, height: 100 }, { width: 100, height: 100 })).toEqual({
      x: 10,
      y: 20,
      width: 20,
      height: 20,
    });
  });

  it("draws nothing for an image without a size", () => {
    expect(scaleBox([1, 2, 3, 4], { width: 0, height: 0 }, { width: 10, height: 10 })).toEqual({ x: 0, y: 0, width: 0, height: 0 });
  });

  it("uses fractional pixels (no rounding drift on small screens)", () => {
    const rect = scaleBox([100, 100, 200, 200], { width: 1000, height: 750 }, { width: 351, height: 263.25 });
    expect(rect.x).toBeCloseTo(35.1);
    expect(rect.y).toBeCloseTo(35.1);
    expect(rect.width).toBeCloseTo(35.1);
  });
});

describe("fitSize", () => {
  it("fits a large image into the space, keeping its aspect ratio", () => {
    expect(fitSize({ width: 4000, height: 3000 }, { width: 400, height: 1000 })).toEqual({ width: 400, height: 300 });
  });
  it("never enlarges", () => {
    expect(fitSize({ width: 100, height: 50 }, { width: 400, height: 400 })).toEqual({ width: 100, height: 50 });
  });
});

describe("filtering", () => {
  const all = [det("person", 0.9, 0), det("person", 0.3, 1), det("car", 0.8, 2), det("dog", 0.5, 3)];

  it("hides toggled-off classes", () => {
    const shown = visibleDetections(all, { hidden: new Set(["person"]), minConfidence: 0 });
    expect(shown.map((d) => d.index)).toEqual([2, 3]);
  });

  it("hides boxes below the confidence threshold (inclusive at the threshold)", () => {
    expect(visibleDetections(all, { hidden: new Set(), minConfidence: 0.5 }).map((d) => d.index)).toEqual([0, 2, 3]);
  });

  it("combines both", () => {
    expect(visibleDetections(all, { hidden: new Set(["car"]), minConfidence: 0.6 }).map((d) => d.index)).toEqual([0]);
  });

  it("toggles a label on and off without changing the old set", () => {
    const hidden = new Set<string>();
    const once = toggleLabel(hidden, "car");
    expect(once.has("car")).toBe(true);
    expect(hidden.has("car")).toBe(false);
    expect(toggleLabel(once, "car").has("car")).toBe(false);
  });

  it("counts per class, most frequent first, and how many pass the threshold", () => {
    expect(classCounts(all, 0.5)).toEqual([
      { label: "person", total: 2, shown: 1 },
      { label: "car", total: 1, shown: 1 },
      { label: "dog", total: 1, shown: 1 },
    ]);
  });
});

describe("captionPosition", () => {
  const chip = { width: 60, height: 16 };
  const image = { width: 200, height: 100 };
  it("puts the caption above the box, or inside when the box touches the top", () => {
    expect(captionPosition({ x: 5, y: 40, width: 10, height: 10 }, chip, image)).toEqual({ x: 5, y: 24 });
    expect(captionPosition({ x: 5, y: 4, width: 10, height: 10 }, chip, image)).toEqual({ x: 5, y: 4 });
  });

  it("keeps the caption inside the image at its right and bottom edges", () => {
    expect(captionPosition({ x: 180, y: 40, width: 20, height: 10 }, chip, image)).toEqual({ x: 140, y: 24 });
    // inside a box near the top of a short image: moved up to end at its bottom edge
    expect(captionPosition({ x: 5, y: 10, width: 10, height: 8 }, chip, { width: 200, height: 20 })).toEqual({ x: 5, y: 4 });
    // a caption wider than the image starts at its left edge
    expect(captionPosition({ x: 50, y: 40, width: 10, height: 10 }, { width: 300, height: 16 }, image)).toEqual({ x: 0, y: 24 });
  });
});

describe("reading results", () => {
  it("reads YOLO items and skips malformed ones", () => {
    const items = [
      { class_id: 0, label: "person", confidence: 0.91, box: [1, 2, 3, 4] },
      { class_id: 2, confidence: 0.5, box: [1, 2, 3, 4] },
      { label: "bad", box: [1, 2, 3] },
      null,
      "nope",
    ];
    const out = detectionsFromObjects(items);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ label: "person", caption: "person 91%", index: 0 });
    expect(out[1]).toMatchObject({ label: "class 2", index: 1 });
    expect(detectionsFromObjects(undefined)).toEqual([]);
  });

  it("reads face items with the gender as the class", () => {
    const out = detectionsFromFaces([
      { box: [10, 10, 50, 60], confidence: 0.98, gender: "woman", probability: 0.87 },
      { box: [70, 10, 90, 40], confidence: 0.6, gender: "man", probability: 0.55 },
    ]);
    expect(out.map((d) => d.label)).toEqual(["woman", "man"]);
    expect(out[0].caption).toBe("woman 87%");
    expect(out[1].confidence).toBe(0.6);
  });

  it("captions an uncertain face without a gender or a percentage", () => {
    const out = detectionsFromFaces([
      { box: [10, 10, 50, 60], confidence: 0.9, gender: "uncertain", probability: 0.64, uncertain: ["low_probability"] },
      { box: [70, 10, 90, 40], confidence: 0.9, gender: "uncertain", probability: 0.99, uncertain: ["small_face"] },
    ]);
    expect(out.map((d) => d.label)).toEqual(["uncertain", "uncertain"]);
    expect(out[0].caption).toBe("uncertain");
    expect(out[1].caption).toBe("uncertain: small face");
  });
});
