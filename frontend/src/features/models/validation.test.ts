import { describe, expect, it } from "vitest";
import type { Param } from "@/api/types";
import { makeModel } from "@/testing/fixtures";
import {
  acceptAttribute,
  defaultParamValues,
  maxFiles,
  paramFields,
  validateFiles,
  validateParam,
  validateParams,
} from "./validation";

const MB = 1024 * 1024;

const model = makeModel;

const file = (name: string, size: number, type = "") => new File([new Uint8Array(size)], name, { type });

describe("file type", () => {
  it("accepts the model's extensions, in any case", () => {
    expect(validateFiles([file("Holiday.JPG", 10)], model())).toEqual([]);
    expect(validateFiles([file("clip.mp4", 10)], model())).toEqual([]);
    expect(validateFiles([file("photos.zip", 10)], model())).toEqual([]);
  });

  it("refuses what the model does not take and says what it does", () => {
    const problems = validateFiles([file("notes.pdf", 10, "application/pdf")], model());
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/"notes.pdf" is not a file this model reads/);
    expect(problems[0].message).toMatch(/images/);
  });

  it("knows .nii.gz is not just .gz", () => {
    const skin = model({ kinds: ["nifti"], accepts: ["application/x-nifti", "application/x-nifti+gzip"], extensions: [".nii", ".nii.gz"] });
    expect(validateFiles([file("head.nii.gz", 10)], skin)).toEqual([]);
    expect(validateFiles([file("head.nii", 10)], skin)).toEqual([]);
    expect(validateFiles([file("archive.gz", 10)], skin)).toHaveLength(1);
  });

  it("takes the file name endings from the model (GET /api/models), not from a list of its own", () => {
    const pngOnly = model({ kinds: ["image"], accepts: ["image/png"], extensions: [".png"] });
    expect(validateFiles([file("a.png", 10)], pngOnly)).toEqual([]);
    expect(validateFiles([file("a.jpg", 10)], pngOnly)).toHaveLength(1);
  });

  it("uses the browser's media type when the name has no known ending (a camera capture)", () => {
    expect(validateFiles([file("capture", 10, "image/jpeg")], model())).toEqual([]);
    expect(validateFiles([file("capture", 10, "text/plain")], model())).toHaveLength(1);
  });

  it("refuses an empty file and asks for a file when none is chosen", () => {
    expect(validateFiles([file("a.jpg", 0)], model())[0].message).toMatch(/empty/);
    expect(validateFiles([], model())[0].message).toMatch(/Choose a file/);
  });

  it("builds the accept attribute from extensions and media types", () => {
    const accept = acceptAttribute(model({ accepts: ["image/jpeg"], extensions: [".jpg", ".jpeg"] }));
    expect(accept.split(",")).toEqual(expect.arrayContaining([".jpg", ".jpeg", "image/jpeg"]));
  });
});

describe("file size", () => {
  it("refuses a file over the limit and names the limit", () => {
    const problems = validateFiles([file("big.jpg", 2 * MB + 1)], model());
    expect(problems).toEqual([{ file: null, message: "The file is too large: choose a smaller file (limit 2 MB)." }]);
  });

  it("accepts a file exactly at the limit", () => {
    expect(validateFiles([file("edge.jpg", 2 * MB)], model())).toEqual([]);
  });

  it("counts the limit over all files of a batch, as the server does", () => {
    const problems = validateFiles([file("a.jpg", 1.5 * MB), file("b.jpg", 1 * MB)], model({ max_files: 50 }));
    expect(problems[0].message).toMatch(/Together the files are too large.*2 MB in all/);
  });
});

describe("file count", () => {
  it("takes one file for a model without batches", () => {
    const single = model({ kinds: ["image"], accepts: ["image/jpeg"] });
    expect(maxFiles(single)).toBe(1);
    expect(validateFiles([file("a.jpg", 1), file("b.jpg", 1)], single)[0].message).toMatch(/one file at a time/);
  });

  it("takes up to the model's max_files", () => {
    const batch = model({ max_files: 3 });
    expect(maxFiles(batch)).toBe(3);
    const four = ["a", "b", "c", "d"].map((n) => file(`${n}.jpg`, 1));
    expect(validateFiles(four, batch)[0].message).toMatch(/at most 3 files/);
  });
});

describe("parameters", () => {
  const conf: Param = { type: "float", default: 0.25, min: 0.05, max: 0.95, label: "", description: "" };
  const steps: Param = { type: "int", default: 4, min: 1, max: 100, label: "", description: "" };
  const behaviour: Param = { type: "str", default: "ok", choices: ["ok", "fail"], label: "", description: "" };
  const classes: Param = { type: "list", default: null, choices: ["person", "car"], label: "", description: "" };
  const flag: Param = { type: "bool", default: false, label: "", description: "" };

  it("accepts values within bounds and an empty value (the default)", () => {
    expect(validateParam(conf, "0.5")).toBeNull();
    expect(validateParam(conf, "0.05")).toBeNull();
    expect(validateParam(conf, "0.95")).toBeNull();
    expect(validateParam(conf, "")).toBeNull();
  });

  it("refuses values out of bounds with the bound", () => {
    expect(validateParam(conf, "0.01")).toBe("Enter at least 0.05.");
    expect(validateParam(conf, "1.5")).toBe("Enter at most 0.95.");
    expect(validateParam(conf, "abc")).toBe("Enter a number.");
  });

  it("wants whole numbers for int parameters", () => {
    expect(validateParam(steps, "2.5")).toBe("Enter a whole number.");
    expect(validateParam(steps, "0")).toBe("Enter at least 1.");
    expect(validateParam(steps, "100")).toBeNull();
  });

  it("checks choices, list items and flags", () => {
    expect(validateParam(behaviour, "crash")).toMatch(/Choose one of: ok, fail/);
    expect(validateParam(classes, "person, car")).toBeNull();
    expect(validateParam(classes, "person,cat")).toMatch(/Unknown: cat/);
    expect(validateParam(flag, "maybe")).toMatch(/yes or no/);
  });

  it("collects every problem by name", () => {
    expect(validateParams({ conf, steps }, { conf: "2", steps: "3" })).toEqual({ conf: "Enter at most 0.95." });
  });

  it("starts from the defaults and sends trimmed fields, leaving empty ones out", () => {
    const params = { conf, steps, classes, flag };
    expect(defaultParamValues(params)).toEqual({ conf: "0.25", steps: "4", classes: "", flag: "false" });
    expect(paramFields(params, { conf: " 0.4 ", steps: "", classes: "person , car", flag: "TRUE" })).toEqual({
      conf: "0.4",
      classes: "person,car",
      flag: "true",
    });
  });
});
