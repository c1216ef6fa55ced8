import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import { classColours } from "@/lib/classColour";
import { renderWithProviders } from "@/testing/render";
import { makeJob } from "@/testing/fixtures";
import { ResultPair } from "./ResultPair";

const input = { name: "bus.jpg", size: 1000, sha256: "", media_type: "image/jpeg", url: "/api/predictions/x/inputs/in.jpg" };
const person = { class_id: 0, label: "person", confidence: 0.9, box: [50, 400, 250, 900] };
const bus = { class_id: 5, label: "bus", confidence: 0.8, box: [0, 200, 800, 800] };
const detections = (id: string, items: object[]) =>
  makeJob({ id, status: "succeeded", result_kind: "detections", inputs: [input], result: { width: 810, height: 1080, count: items.length, items } });

describe("ResultPair", () => {
  it("gives a class one colour on both sides, though alone on one side it would have another", () => {
    // bus takes person's neighbouring hue: with a bus person moves, alone it keeps its own
    expect(classColours(["person", "bus"]).person).not.toBe(classColours(["person"]).person);
    renderWithProviders(
      <ResultPair
        baseline={detections("a".repeat(32), [person, bus])}
        candidate={detections("b".repeat(32), [person])}
        labels={{ baseline: "Version 1", candidate: "Version 2" }}
        headingLevel={3}
      />,
    );
    const fills = ["Version 1", "Version 2"].map((side) => {
      const region = screen.getByRole("heading", { name: side }).closest(".result-pair-side") as HTMLElement;
      const toggle = within(region).getByRole("checkbox", { name: /person/ }).closest("label") as HTMLElement;
      return toggle.querySelector("rect")?.getAttribute("fill");
    });
    expect(fills).toEqual([classColours(["person", "bus"]).person, classColours(["person", "bus"]).person]);
  });
});
