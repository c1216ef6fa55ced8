import { describe, expect, it } from "vitest";
import examples from "./classColour.examples.json";
import { classColour, classColours, FIXED, PALETTE } from "./classColour";

// The same file holds the server to the same rule (tests/backend/media/test_colours.py).
describe("class colours", () => {
  it("follow the rule the server draws with", () => {
    expect([...PALETTE]).toEqual(examples.palette);
    expect({ ...FIXED }).toEqual(examples.fixed);
    for (const [label, colour] of Object.entries(examples.examples)) expect([label, classColour(label)]).toEqual([label, colour]);
    for (const result of examples.results) expect(classColours(result.labels)).toEqual(result.colours);
  });

  it("keep the classes of one result apart while colours are left", () => {
    const names = ["tv", "dining table", "potted plant", "chair", "person", "refrigerator"];
    expect(classColour("dining table")).toBe(classColour("person"));
    const colours = classColours(names);
    expect(new Set(Object.values(colours)).size).toBe(names.length);
    expect(colours["dining table"]).toBe(classColour("dining table"));
    expect(classColours([...names].reverse())).toEqual(colours);
    const apart = classColours(["person", "bus"]);
    expect(Math.abs(PALETTE.indexOf(apart.person) - PALETTE.indexOf(apart.bus))).toBeGreaterThan(1);
  });

  it("carry white text at 4.5:1 or more", () => {
    const channel = (hex: string) => {
      const c = parseInt(hex, 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    for (const colour of [...PALETTE, ...Object.values(FIXED)]) {
      const [r, g, b] = [1, 3, 5].map((i) => channel(colour.slice(i, i + 2)));
      const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      expect([colour, 1.05 / (luminance + 0.05) >= 4.5]).toEqual([colour, true]);
    }
  });
});
