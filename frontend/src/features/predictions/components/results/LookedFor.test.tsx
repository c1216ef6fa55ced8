import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { LookedFor } from "./LookedFor";

describe("LookedFor", () => {
  it("lists the classes the detector looked for", () => {
    render(<LookedFor classes={["person", "bus", "car"]} />);
    expect(screen.getByText(/It looked for 3 classes only/)).toBeInTheDocument();
    expect(screen.getByText("person, bus, car")).toBeInTheDocument();
  });

  it("shows nothing when the result names no classes", () => {
    const { container } = render(<LookedFor classes={undefined} />);
    expect(container).toBeEmptyDOMElement();
  });
});
