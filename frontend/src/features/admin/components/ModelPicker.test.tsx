import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ModelPicker } from "./ModelPicker";

const MODELS = [
  { name: "street", title: "Street detector" },
  { name: "skin", title: "Skin segmentation" },
];

describe("ModelPicker", () => {
  it("lists the models by title under the label Model and says which was chosen", async () => {
    const chosen = vi.fn();
    render(<ModelPicker id="pick" value="street" models={MODELS} onChange={chosen} />);
    const select = screen.getByLabelText("Model");
    expect(select).toHaveValue("street");
    expect(screen.getAllByRole("option").map((o) => o.textContent)).toEqual(["Street detector", "Skin segmentation"]);
    await userEvent.setup().selectOptions(select, "Skin segmentation");
    expect(chosen).toHaveBeenCalledWith("skin");
  });

  it("offers a first choice of every model when asked", () => {
    render(<ModelPicker id="pick" value="" models={MODELS} onChange={() => undefined} anyLabel="All models" />);
    expect(screen.getAllByRole("option").map((o) => [o.textContent, (o as HTMLOptionElement).value])).toEqual([
      ["All models", ""],
      ["Street detector", "street"],
      ["Skin segmentation", "skin"],
    ]);
    expect(screen.getByLabelText("Model")).toHaveValue("");
  });
});
