import { describe, expect, it } from "vitest";
import { classesText, exampleText, pollInterval, POLL_MS, runtimeReason, shortSha, validationFacts } from "./describe";
import { makeManaged, makeVersion } from "./fixtures";

describe("pollInterval", () => {
  it("polls while a version of any model is being checked, and stops when none is", () => {
    const checking = [makeManaged({ id: "a" }), makeManaged({ id: "b", versions: [makeVersion(), makeVersion({ id: "v2", state: "validating" })] })];
    expect(pollInterval(checking)).toBe(POLL_MS);
    const settled = [makeManaged({ versions: [makeVersion(), makeVersion({ id: "v2", state: "failed" })] })];
    expect(pollInterval(settled)).toBe(false);
    expect(pollInterval(undefined)).toBe(false);
  });
});

describe("exampleText", () => {
  it("gives a classifier's top label with its probability", () => {
    expect(exampleText({ file: "cat.jpg", category: "tabby cat", probability: 0.82, uncertain: false })).toBe("Top label in cat.jpg: tabby cat (82%).");
  });

  it("says when a classifier is not sure, with its best guess", () => {
    const example = { category: "uncertain", uncertain: ["below 0.5"], prediction: [{ label: "fox", probability: 0.31 }] };
    expect(exampleText(example)).toBe("Not sure; best guess fox (31%).");
  });

  it("lists a multi-label classifier's labels", () => {
    expect(exampleText({ category: "dog", multi_label: true, labels: ["dog", "ball"] })).toBe("Labels: dog, ball.");
  });

  it("counts a detector's objects per class", () => {
    expect(exampleText({ file: "street.jpg", counts: { person: 3, car: 1 } })).toBe("Found in street.jpg: 3 person, 1 car.");
    expect(exampleText({ counts: {} })).toBe("Nothing found.");
  });

  it("gives a segmenter's classes and their share of the image", () => {
    const example = { classes_found: 2, items: [{ label: "road", fraction: 0.5 }, { label: "car", fraction: 0.125 }] };
    expect(exampleText(example)).toBe("Classes: road (50%), car (13%).");
  });

  it("falls back to a count, or to having run", () => {
    expect(exampleText({ count: 1 })).toBe("1 result.");
    expect(exampleText({})).toBe("The example ran.");
    expect(exampleText(null)).toBeNull();
  });
});

describe("validationFacts and runtimeReason", () => {
  it("reads the record and says why the runtime was chosen", () => {
    const facts = validationFacts(makeVersion().validation)!;
    expect(facts.loadMs).toBe(845.2);
    expect(facts.latencyMs).toBe(41.7);
    expect(runtimeReason(facts.runtime)).toBe("onnxruntime, the fastest of 2 that work.");
  });

  it("tells a runtime asked for, the only one that works, and a family's own", () => {
    const candidates = [{ name: "openvino", ms: 5, error: null }];
    expect(runtimeReason({ requested: "openvino", chosen: "openvino", candidates })).toBe("openvino, as the version asks.");
    expect(runtimeReason({ requested: "auto", chosen: "openvino", candidates })).toBe("openvino, the only runtime that works with these weights.");
    expect(runtimeReason(null)).toBe("The model runs on its family's own runtime.");
  });

  it("ignores what is not a record", () => {
    expect(validationFacts(null)).toBeNull();
    expect(validationFacts({ load_ms: "fast", runtime: 3 })).toMatchObject({ loadMs: null, runtime: null, example: null });
  });
});

describe("shortSha and classesText", () => {
  it("shortens", () => {
    expect(shortSha("a".repeat(64))).toBe("aaaaaaaaaaaa");
    expect(shortSha(null)).toBe("not recorded");
    expect(classesText(["a", "b", "c"], 2)).toBe("3 classes: a, b and 1 more");
    expect(classesText(["a"])).toBe("1 class: a");
    expect(classesText([])).toBeNull();
  });
});
