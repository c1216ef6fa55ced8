import { describe, expect, it } from "vitest";
import { makeVersion } from "./fixtures";
import {
  applyOptions,
  buildVersionForm,
  EMPTY_VERSION,
  editVersionValuesOf,
  fieldOfServerError,
  parseDefaults,
  validateNewVersion,
  versionChanges,
  type NewVersionValues,
} from "./versionForm";

const file = (name: string) => new File([new Uint8Array(4)], name);

describe("buildVersionForm", () => {
  it("puts the weights and the example in their fields, and labels, preprocessing and multi-label in options", () => {
    const values: NewVersionValues = {
      ...EMPTY_VERSION,
      weights: [file("model.xml"), file("model.bin")],
      example: file("cat.jpg"),
      runtime: "openvino",
      labels: "cat\n  dog \n\nbird\n",
      width: "224",
      height: "160",
      resize: "center-crop",
      mean: "0.485, 0.456, 0.406",
      std: "0.229 0.224 0.225",
      channels: "bgr",
      multiLabel: true,
      defaults: "top_k = 3\nmin_probability = 0.2",
      note: " retrained ",
      card: { ...EMPTY_VERSION.card, license: "MIT", limitations: "not for X-rays\n" },
    };
    const form = buildVersionForm(values);
    expect(form.getAll("weights").map((f) => (f as File).name)).toEqual(["model.xml", "model.bin"]);
    expect((form.get("example") as File).name).toBe("cat.jpg");
    expect(form.get("runtime")).toBe("openvino");
    expect(JSON.parse(form.get("options") as string)).toEqual({
      labels: ["cat", "dog", "bird"],
      multi_label: true,
      preprocess: { size: [224, 160], resize: "center-crop", mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channels: "bgr" },
    });
    expect(JSON.parse(form.get("params") as string)).toEqual({ top_k: { default: 3 }, min_probability: { default: 0.2 } });
    expect(JSON.parse(form.get("card") as string)).toEqual({ license: "MIT", limitations: ["not for X-rays"] });
    expect(form.get("note")).toBe("retrained");
    expect(form.has("existing")).toBe(false);
  });

  it("sends only what was given: existing files by name, no runtime for automatic, no empty options", () => {
    const form = buildVersionForm({ ...EMPTY_VERSION, existing: "resnet.onnx, labels.txt" });
    expect([...form.keys()]).toEqual(["existing"]);
    expect(form.get("existing")).toBe("resnet.onnx,labels.txt");
  });
});

describe("validateNewVersion", () => {
  it("asks for weights or existing files", () => {
    expect(validateNewVersion(EMPTY_VERSION).weights).toMatch(/Choose the weights file/);
    expect(validateNewVersion({ ...EMPTY_VERSION, existing: "a.onnx" })).toEqual({});
  });

  it("says what is wrong with each field", () => {
    const errors = validateNewVersion({
      ...EMPTY_VERSION,
      existing: "../etc/passwd",
      width: "224",
      mean: "0.5, x",
      std: "0, 1",
      labels: "cat\ncat",
      defaults: "top_k 3",
    });
    expect(errors.existing).toMatch(/not a plain file name/);
    expect(errors.size).toBe("Enter both the width and the height, or neither.");
    expect(errors.mean).toMatch(/Enter numbers/);
    expect(errors.std).toBe("Each number must be above 0.");
    expect(errors.labels).toBe('"cat" appears twice: each line is the name of one class.');
    expect(errors.defaults).toMatch(/^Line 1: /);
  });
});

describe("parseDefaults", () => {
  it("reads numbers, booleans and lists as such, and anything else as text", () => {
    expect(parseDefaults("a = 1\nb = true\nc = [\"x\", \"y\"]\nd = hello world\ne = ").defaults).toEqual({
      a: 1,
      b: true,
      c: ["x", "y"],
      d: "hello world",
      e: "",
    });
  });
});

describe("editing a version", () => {
  it("keeps the options the form does not show, and sends only what changed", () => {
    const version = makeVersion({
      options: { labels: ["a", "b"], output: "logits", preprocess: { size: [224, 224], scale: 1, mean: [0.5] } },
      params: { top_k: { default: 5, max: 10 } },
      note: "first",
    });
    const values = editVersionValuesOf(version);
    expect(values).toMatchObject({ labels: "a\nb", width: "224", height: "224", mean: "0.5", defaults: "top_k = 5", note: "first" });
    expect(versionChanges(version, values)).toEqual({});

    const changes = versionChanges(version, { ...values, labels: "a\nb\nc", mean: "", defaults: "top_k = 3", note: "more labels" });
    expect(changes).toEqual({
      options: { labels: ["a", "b", "c"], output: "logits", preprocess: { size: [224, 224], scale: 1 } },
      params: { top_k: { max: 10, default: 3 } },
      note: "more labels",
    });
  });

  it("keeps a labels file named in the options when the labels box is left empty", () => {
    expect(applyOptions({ ...EMPTY_VERSION }, { labels: "labels.txt" })).toEqual({ labels: "labels.txt" });
    expect(applyOptions({ ...EMPTY_VERSION }, { labels: ["a"], multi_label: true, preprocess: { resize: "letterbox" } })).toEqual({});
  });
});

describe("fieldOfServerError", () => {
  it("finds the field a refusal is about", () => {
    expect(fieldOfServerError("options.preprocess field 'mean': Input should be a valid tuple")).toBe("mean");
    expect(fieldOfServerError("options.preprocess field 'size.0': Input should be greater than 0")).toBe("size");
    expect(fieldOfServerError("the field 'runtime': 'torch' is not one of auto, onnxruntime")).toBe("runtime");
    expect(fieldOfServerError("there is no file named 'x.onnx' in the models folder")).toBe("existing");
    expect(fieldOfServerError("the example 'a.pdf': not an image")).toBe("example");
    expect(fieldOfServerError("options.labels: give a list of labels")).toBe("labels");
    expect(fieldOfServerError("something else")).toBeNull();
  });
});
