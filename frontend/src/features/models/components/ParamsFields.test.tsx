import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import type { Param } from "@/api/types";
import { hintOf, labelOf, ParamsFields } from "./ParamsFields";

const conf: Param = {
  type: "float",
  default: 0.25,
  min: 0.01,
  max: 0.99,
  label: "Minimum confidence",
  description: "Boxes the model is less sure of than this are left out.",
};
const iou: Param = { type: "float", default: 0.45, min: 0.1, max: 0.95, label: "Box overlap allowed", description: "Only the more confident of two overlapping boxes is kept." };

describe("ParamsFields", () => {
  it("names each setting with the model's label and one line of help", () => {
    render(<ParamsFields params={{ conf, iou }} values={{}} errors={{}} onChange={() => {}} />);
    const field = screen.getByLabelText("Minimum confidence");
    expect(field).toHaveAccessibleDescription("Boxes the model is less sure of than this are left out. From 0.01 to 0.99, default 0.25.");
    expect(screen.getByLabelText("Box overlap allowed")).toBeInTheDocument();
    expect(screen.queryByText("Conf")).not.toBeInTheDocument();
    expect(screen.queryByText("Iou")).not.toBeInTheDocument();
  });

  it("falls back to the key, and to a sentence, for a model that says less", () => {
    expect(labelOf("min_gender_probability", { label: "" })).toBe("Min gender probability");
    expect(hintOf({ type: "int", default: 4, min: 1, max: null, label: "", description: "how many classes to list" })).toBe(
      "How many classes to list. At least 1, default 4.",
    );
    expect(hintOf({ type: "bool", default: true, label: "", description: "" })).toBe("Default on.");
  });
});
