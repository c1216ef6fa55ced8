import { describe, expect, it } from "vitest";
import { makeManaged } from "./fixtures";
import { EMPTY_MODEL, editValuesOf, modelChanges, newModelBody, validateEditModel, validateNewModel } from "./modelForm";

const filled = { ...EMPTY_MODEL, id: "pets", title: "Pets", task: "image-classification", family: "image-classification", group: "cpu" };

describe("validateNewModel", () => {
  it("accepts a complete model", () => {
    expect(validateNewModel(filled)).toEqual({});
  });

  it("says what each field needs, as the server's rules", () => {
    const errors = validateNewModel({ ...EMPTY_MODEL, id: "Pets!", max_upload_mb: "0", max_files: "1.5", retention_days: "-1" });
    expect(errors.id).toMatch(/lower-case letters/);
    expect(errors.title).toBe("Enter a title.");
    expect(errors.family).toBe("Choose a family.");
    expect(errors.group).toMatch(/worker group/);
    expect(errors.max_upload_mb).toBe("Enter a number of MB above 0.");
    expect(errors.max_files).toBe("Enter a whole number from 1 to 500.");
    expect(errors.retention_days).toMatch(/0 or more days/);
    expect(validateNewModel({ ...filled, id: "catalog" }).id).toMatch(/choose another name/);
  });
});

describe("newModelBody", () => {
  it("leaves out empty optional limits", () => {
    expect(newModelBody({ ...filled, description: " About pets " })).toEqual({
      id: "pets",
      title: "Pets",
      description: "About pets",
      task: "image-classification",
      family: "image-classification",
      group: "cpu",
      max_upload_mb: 50,
      max_files: 1,
    });
    expect(newModelBody({ ...filled, timeout_s: "30", retention_days: "0" })).toMatchObject({ timeout_s: 30, retention_days: 0 });
  });
});

describe("modelChanges", () => {
  it("sends only what changed; an emptied limit as null", () => {
    const model = makeManaged({ timeout_s: 60 });
    const values = editValuesOf(model);
    expect(modelChanges(model, values)).toEqual({});
    expect(modelChanges(model, { ...values, title: "Pets 2", enabled: false, timeout_s: "" })).toEqual({ title: "Pets 2", enabled: false, timeout_s: null });
    expect(validateEditModel({ ...values, title: " " }).title).toBe("Enter a title.");
  });
});
