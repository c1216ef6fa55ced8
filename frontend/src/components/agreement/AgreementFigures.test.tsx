import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import type { Agreement } from "@/api/types";
import { AgreementFigures } from "./AgreementFigures";
import { boxes, CLASSIFICATION, DETECTIONS, FACES, labels, MASKS } from "./fixtures";

const LABELS = { baseline: "Version 1", candidate: "Version 2" };

function figure(list: HTMLElement, name: string): string {
  const term = within(list).getByText(name, { selector: "dt" });
  return term.nextElementSibling?.textContent ?? "";
}

describe("AgreementFigures", () => {
  it("shows a release's detections: precision, recall and F1 overall and per class", () => {
    render(<AgreementFigures of={DETECTIONS} labels={LABELS} />);
    const overall = screen.getByLabelText("Overall");
    expect(figure(overall, "Pairs compared")).toBe("4");
    expect(figure(overall, "Mean disagreement")).toBe("25.0%");
    const matched = screen.getByLabelText("Boxes matched");
    expect(figure(matched, "Precision")).toBe("75.0%");
    expect(figure(matched, "Recall")).toBe("75.0%");
    expect(figure(matched, "F1")).toBe("0.75");
    expect(figure(matched, "Only Version 2")).toBe("2");
    expect(figure(matched, "Only Version 1")).toBe("2");

    const table = screen.getByRole("table", { name: "Per class" });
    const rows = within(table).getAllByRole("row").slice(1);
    // the class with the most boxes first
    expect(rows.map((row) => within(row).getByRole("rowheader").textContent)).toEqual(["car", "person"]);
    expect(within(rows[0]).getAllByRole("cell").map((cell) => cell.textContent)).toEqual(["33.3%", "33.3%", "0.33", "1", "2", "2"]);
    expect(within(rows[1]).getAllByRole("cell").map((cell) => cell.textContent)).toEqual(["100.0%", "100.0%", "1.00", "5", "0", "0"]);
    expect(within(table).getByRole("columnheader", { name: "Only Version 2" })).toBeInTheDocument();
  });

  it("shows classifications: top-1 agreement and the confusion, the agreeing cells marked in words", () => {
    render(<AgreementFigures of={CLASSIFICATION} labels={LABELS} />);
    const figures = screen.getByLabelText("Top-1 label agreement");
    expect(figure(figures, "Top-1 label agreement")).toBe("80.0%");
    expect(figure(figures, "Same label")).toBe("8 of 10");
    const table = screen.getByRole("table", { name: /Top-1 label: Version 1 \(rows\) against Version 2 \(columns\)/ });
    const [, cat, dog] = within(table).getAllByRole("row");
    expect(within(cat).getAllByRole("cell").map((cell) => cell.textContent)).toEqual(["5 (the same label)", "1"]);
    expect(within(dog).getAllByRole("cell").map((cell) => cell.textContent)).toEqual(["1", "3 (the same label)"]);
    expect(screen.queryByLabelText("Boxes matched")).not.toBeInTheDocument();
  });

  it("shows faces: the boxes' F1 and the gender agreement of the faces both found", () => {
    render(<AgreementFigures of={FACES} labels={LABELS} />);
    expect(figure(screen.getByLabelText("Faces matched"), "F1")).toBe("0.89");
    const genders = screen.getByLabelText("Gender agreement");
    expect(figure(genders, "Gender agreement")).toBe("75.0%");
    expect(figure(genders, "Same label")).toBe("3 of 4");
    const table = screen.getByRole("table", { name: /^Gender:/ });
    expect(within(table).getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Version 1 ↓ / Version 2 →", "man", "woman"]);
  });

  it("shows masks of many pairs: mean Dice and the mean size difference", () => {
    render(<AgreementFigures of={MASKS} labels={LABELS} />);
    const masks = screen.getByLabelText("Masks compared");
    expect(figure(masks, "Mean Dice")).toBe("0.950");
    expect(figure(masks, "Dice over all voxels")).toBe("0.947");
    expect(figure(masks, "Mean size difference")).toBe("100 voxels");
    expect(figure(masks, "Mean relative difference")).toBe("10.0%");
    expect(figure(masks, "Mean volume difference")).toBe("1.5 mL");
  });

  it("shows one mask pair with the sign of its difference", () => {
    const pair: Agreement = {
      kind: "volume-mask",
      overlap: { intersection: 800, baseline: 1000, candidate: 1200, dice: 1600 / 2200 },
      per_class: {},
      voxel_ml: 0.001,
      dice: 1600 / 2200,
      difference: 200,
      relative_difference: 0.2,
      difference_ml: 0.2,
      disagreement: 600 / 2200,
    };
    render(<AgreementFigures of={pair} labels={LABELS} />);
    const masks = screen.getByLabelText("Masks compared");
    expect(figure(masks, "Dice")).toBe("0.727");
    expect(figure(masks, "Size difference")).toBe("+200 voxels");
    expect(figure(masks, "Relative difference")).toBe("+20.0%");
    expect(figure(masks, "Volume difference")).toBe("+0.2 mL");
    expect(figure(screen.getByLabelText("Overall"), "Disagreement")).toBe("27.3%");
    expect(screen.queryByText("Pairs compared")).not.toBeInTheDocument();
  });

  it("reads one pair of detections, and a batch by its own summary", () => {
    const single: Agreement = { kind: "detections", boxes: boxes(1, 1, 1), per_class: { person: boxes(1, 0, 0) }, disagreement: 0.5 };
    const { unmount } = render(<AgreementFigures of={single} labels={LABELS} />);
    expect(figure(screen.getByLabelText("Boxes matched"), "F1")).toBe("0.50");
    expect(figure(screen.getByLabelText("Overall"), "Disagreement")).toBe("50.0%");
    unmount();

    const batch: Agreement = {
      kind: "batch",
      files: [],
      summary: { ...CLASSIFICATION, uncompared: 1, top1: labels({ cat: { cat: 1 } }) },
      disagreement: 0.5,
    };
    render(<AgreementFigures of={batch} labels={LABELS} />);
    expect(figure(screen.getByLabelText("Overall"), "Files on one side only")).toBe("1");
    expect(figure(screen.getByLabelText("Top-1 label agreement"), "Top-1 label agreement")).toBe("100.0%");
  });
});
