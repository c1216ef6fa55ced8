import { describe, expect, it } from "vitest";
import { countOf, formatBytes, formatDuration, formatMegabytes, formatNumber, formatPercent, formatQuantity, taskSubtitle } from "./format";

// The tests run in English (en-US): the same calls give "286,3 mL" to a German reader.
describe("numbers in the reader's locale", () => {
  it("rounds to a sensible number of digits and groups thousands", () => {
    expect(formatQuantity(286.325, "mL", 1)).toBe("286.3 mL");
    expect(formatNumber(286325)).toBe("286,325");
    expect(formatNumber(2.5, 2)).toBe("2.5");
    expect(formatNumber(2.5, { min: 2, max: 2 })).toBe("2.50");
    expect(formatNumber(null)).toBe("–");
    expect(formatQuantity(Number.NaN, "mm")).toBe("–");
  });

  it("writes percentages, sizes and durations through the same formatter", () => {
    expect(formatPercent(0.9234, 1)).toBe("92.3%");
    expect(formatPercent(0.42)).toBe("42%");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3.0 MB");
    expect(formatBytes(1000 * 1024)).toBe("1,000 KB");
    expect(formatMegabytes(2 * 1024 * 1024)).toBe("2 MB");
    expect(formatDuration(1234)).toBe("1.23 s");
    expect(formatDuration(80)).toBe("80 ms");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
  });
});

describe("countOf", () => {
  it("uses the singular for one and the plural otherwise", () => {
    expect(countOf(1, "woman", "women")).toBe("1 woman");
    expect(countOf(0, "woman", "women")).toBe("0 women");
    expect(countOf(3, "face")).toBe("3 faces");
    expect(countOf(1200, "prediction")).toBe("1,200 predictions");
  });
});

describe("taskSubtitle", () => {
  it("leaves out the task under a title that already says it", () => {
    expect(taskSubtitle("face-gender", "Face and gender detection")).toBeNull();
    expect(taskSubtitle("object-detection", "Object detection (YOLOv8 nano)")).toBeNull();
    expect(taskSubtitle("skin-segmentation", "Skin segmentation (head MRI)")).toBeNull();
    expect(taskSubtitle("object-detection", "Street scenes")).toBe("Object detection");
  });
});
