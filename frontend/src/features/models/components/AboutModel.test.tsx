import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { AboutModel } from "./AboutModel";

describe("AboutModel", () => {
  it("shows the card's facts, its limitations and what the model can find", () => {
    render(
      <AboutModel
        about={{
          source: "Ultralytics YOLOv8n",
          license: "AGPL-3.0",
          training_data: "COCO 2017",
          limitations: ["It finds only COCO's 80 classes."],
        }}
        classes={["person", "bus"]}
      />,
    );
    expect(screen.getByRole("heading", { name: "About this model" })).toBeInTheDocument();
    expect(screen.getByText("AGPL-3.0")).toBeInTheDocument();
    expect(screen.getByText("Trained on")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Known limitations" })).toBeInTheDocument();
    expect(screen.getByText("It finds only COCO's 80 classes.")).toBeInTheDocument();
    expect(screen.getByText(/What it can find \(2 classes\)/)).toBeInTheDocument();
    expect(screen.getByText("person, bus")).toBeInTheDocument();
    expect(screen.queryByText("Accuracy")).not.toBeInTheDocument();
  });

  it("shows nothing for a model without a card or classes", () => {
    const { container } = render(<AboutModel about={null} classes={null} />);
    expect(container).toBeEmptyDOMElement();
  });
});
