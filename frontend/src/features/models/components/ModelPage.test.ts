import { describe, expect, it } from "vitest";
import { outputText } from "./ModelPage";

describe("what a model's outputs are, in words", () => {
  it("describes a per-file pattern without showing it", () => {
    const each = { name: "{NNN}-{file}.jpg", media_type: "image/jpeg", role: "annotated" as const, when: "zip", description: "Each image with its results drawn on it, numbered in upload order" };
    expect(outputText(each)).toEqual({ text: each.description, file: null, when: "For several images or a ZIP archive" });
  });

  it("names a plain file, and says something for an output the model does not describe", () => {
    const plain = { name: "annotated.jpg", media_type: "image/jpeg", role: "annotated" as const, when: null, description: "" };
    expect(outputText(plain)).toEqual({ text: "The file with the results drawn on it", file: "annotated.jpg", when: null });
  });
});
