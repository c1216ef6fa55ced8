import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import { renderWithProviders } from "@/testing/render";
import { makeJob } from "@/testing/fixtures";
import type { Artifact, Job } from "@/api/types";
import { ClassificationResult } from "./ClassificationResult";
import { ResultView } from "./ResultView";

const file = (name: string, role: string, media_type: string): Artifact => ({
  name,
  role,
  media_type,
  size: 10,
  deferred: false,
  url: `/api/predictions/x/files/${name}`,
});
const input = { name: "dog.jpg", size: 1000, sha256: "", media_type: "image/jpeg", url: "/api/predictions/x/inputs/input-0.jpg" };
const ranked = [
  { label: "golden retriever", class_id: 207, probability: 0.9234 },
  { label: "labrador retriever", class_id: 208, probability: 0.051 },
  { label: "tennis ball", class_id: 852, probability: 0.0049 },
];

function classificationJob(result: Record<string, unknown>, params: Job["params"] = {}): Job {
  return makeJob({
    status: "succeeded",
    model: "my-classifier",
    result_kind: "classification",
    params,
    inputs: [input],
    artifacts: [file("annotated.jpg", "annotated", "image/jpeg"), file("result.json", "data", "application/json")],
    result: { file: "dog.jpg", width: 640, height: 480, count: 3, uncertain: [], multi_label: false, ...result },
  });
}

const items = () => within(screen.getByRole("list", { name: "Most likely labels" })).getAllByRole("listitem");

describe("classification result", () => {
  it("heads with the category and ranks the labels with their probabilities", () => {
    const job = classificationJob({ category: "golden retriever", prediction: ranked, items: ranked });
    const { container } = renderWithProviders(<ResultView job={job} />);
    expect(container.querySelector(".class-headline")).toHaveTextContent("golden retriever 92.3% probability");
    expect(items().map((item) => item.textContent)).toEqual(["golden retriever 92.3%", "labrador retriever 5.1%", "tennis ball 0.5%"]);
    const bars = items().map((item) => item.querySelector("rect")?.getAttribute("width"));
    expect(bars.map(Number)).toEqual([92.34, 5.1, 0.49]);
    expect(screen.getByRole("img", { name: "dog.jpg, labelled golden retriever" })).toHaveAttribute("src", input.url);
    expect(screen.queryByText(/not sure/)).not.toBeInTheDocument();
    expect(screen.queryByText(/applies/)).not.toBeInTheDocument();
  });

  it("ranks by probability whatever order the labels come in, and reads `items` without `prediction`", () => {
    const job = classificationJob({ category: "golden retriever", items: [ranked[2], { label: "no probability" }, ranked[0], ranked[1]] });
    renderWithProviders(<ClassificationResult job={job} />);
    expect(items().map((item) => item.textContent)).toEqual(["golden retriever 92.3%", "labrador retriever 5.1%", "tennis ball 0.5%"]);
  });

  it("says in plain words when the model is not sure, with its best guess", () => {
    const guesses = [
      { label: "cat", class_id: 281, probability: 0.41 },
      { label: "lynx", class_id: 287, probability: 0.33 },
    ];
    const job = classificationJob({ category: "uncertain", uncertain: ["low_probability"], prediction: guesses, items: guesses }, { min_probability: 0.5 });
    renderWithProviders(<ClassificationResult job={job} />);
    const note = screen.getByRole("note");
    expect(note).toHaveTextContent("The model is not sure what this image shows.");
    expect(note).toHaveTextContent("Its best guess is cat, at 41.0% probability, below the 50% it needs to be sure.");
    expect(note).not.toHaveTextContent("Why");
    expect(screen.queryByText("uncertain")).not.toBeInTheDocument();
    expect(screen.getByRole("img", { name: "dog.jpg" })).toBeInTheDocument();
    expect(items()).toHaveLength(2);
  });

  it("says that several labels may apply and marks those above the threshold", () => {
    const labels = [
      { label: "dog", class_id: 1, probability: 0.97 },
      { label: "grass", class_id: 4, probability: 0.62 },
      { label: "ball", class_id: 7, probability: 0.31 },
    ];
    const job = classificationJob({ category: "dog", multi_label: true, prediction: labels, items: labels }, { min_probability: 0.6 });
    renderWithProviders(<ClassificationResult job={job} />);
    expect(screen.getByText(/This model can give one image several labels/)).toHaveTextContent("2 labels reach 60% and are marked “applies”.");
    const [dog, grass, ball] = items();
    expect(dog).toHaveTextContent("dog ✓ applies 97.0%");
    expect(grass).toHaveTextContent("grass ✓ applies 62.0%");
    expect(ball).toHaveTextContent(/^ball 31\.0%$/);
    expect(ball).not.toHaveClass("applies");
  });

  it("tells why it is not sure when the threshold is not known", () => {
    const guesses = [{ label: "cat", class_id: 281, probability: 0.41 }];
    const job = classificationJob({ category: "uncertain", uncertain: ["low_probability", "near_tie"], prediction: guesses });
    renderWithProviders(<ClassificationResult job={job} />);
    const note = screen.getByRole("note");
    expect(note).toHaveTextContent("Its best guess is cat, at 41.0% probability.");
    expect(note).toHaveTextContent("Why: even its most likely label is below the probability this model needs to be sure; near tie.");
  });

  it("uses 50% for a multi-label model that does not tell its threshold", () => {
    const labels = [
      { label: "dog", class_id: 1, probability: 0.4 },
      { label: "cat", class_id: 2, probability: 0.2 },
    ];
    const job = classificationJob({ category: "uncertain", multi_label: true, prediction: labels, items: labels });
    renderWithProviders(<ClassificationResult job={job} />);
    expect(screen.getByText(/several labels/)).toHaveTextContent("None reaches 50%, the probability a label needs to apply.");
    expect(screen.getByRole("note")).toHaveTextContent("Its best guess is dog, at 40.0% probability, below the 50% it needs to be sure.");
    expect(screen.queryByText(/✓/)).not.toBeInTheDocument();
  });

  it("offers the annotated image and the result data as downloads, each once", () => {
    const job = classificationJob({ category: "golden retriever", prediction: ranked });
    renderWithProviders(<ResultView job={{ ...job, main_output: "annotated.jpg" }} />);
    // (jsdom's name drops the space RowActions keeps before the hidden subject)
    expect(screen.getByRole("link", { name: /^Download ?annotated\.jpg$/ })).toHaveAttribute("href", "/api/predictions/x/files/annotated.jpg?download=true");
    expect(screen.getByRole("link", { name: /^Download ?result\.json$/ })).toHaveAttribute("href", "/api/predictions/x/files/result.json?download=true");
  });
});
