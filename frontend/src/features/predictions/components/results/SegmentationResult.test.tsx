import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, within } from "@testing-library/react";
import { renderWithProviders } from "@/testing/render";
import { makeJob } from "@/testing/fixtures";
import type { Artifact, Job } from "@/api/types";
import { ResultView } from "./ResultView";
import { SegmentationResult } from "./SegmentationResult";

const file = (name: string, role: string, media_type: string): Artifact => ({
  name,
  role,
  media_type,
  size: 10,
  deferred: false,
  url: `/api/predictions/x/files/${name}`,
});
const mask = file("mask.png", "mask", "image/png");
const annotated = file("annotated.jpg", "annotated", "image/jpeg");
const data = file("result.json", "data", "application/json");
const input = { name: "street.jpg", size: 1000, sha256: "", media_type: "image/jpeg", url: "/api/predictions/x/inputs/input-0.jpg" };
// 1000 × 800 = 800,000 pixels
const areas = [
  { label: "person", class_id: 15, pixels: 12345, fraction: 0.01543125, color: "#c0392b" },
  { label: "road", class_id: 0, pixels: 456789, fraction: 0.57098625, color: "#7f8c8d" },
  { label: "traffic sign", class_id: 20, pixels: 300, fraction: 0.000375, color: "#f1c40f" },
];

function segmentationJob(result: Record<string, unknown> = {}, artifacts: Artifact[] = [mask, annotated, data]): Job {
  return makeJob({
    status: "succeeded",
    model: "my-segmenter",
    result_kind: "segmentation",
    inputs: [input],
    artifacts,
    result: { file: "street.jpg", width: 1000, height: 800, count: 3, items: areas, ...result },
  });
}

const overlay = (container: HTMLElement) => container.querySelector(".mask-overlay image");
const rows = () => within(screen.getByRole("table", { name: "Area of each class" })).getAllByRole("row").slice(1);

afterEach(() => vi.restoreAllMocks());

describe("segmentation result", () => {
  it("lays the mask over the input image, at the slider's opacity", () => {
    const { container } = renderWithProviders(<ResultView job={segmentationJob()} />);
    expect(screen.getByRole("img", { name: /^street.jpg, with the area of each class coloured over it/ })).toHaveAttribute("src", input.url);
    expect(overlay(container)).toHaveAttribute("href", mask.url);
    const slider = screen.getByRole("slider", { name: /mask opacity/i });
    expect(slider).toHaveValue("50");
    expect(overlay(container)).toHaveAttribute("opacity", "0.5");
    fireEvent.change(slider, { target: { value: "80" } });
    expect(overlay(container)).toHaveAttribute("opacity", "0.8");
    expect(screen.getByText("80%")).toBeInTheDocument();
    fireEvent.change(slider, { target: { value: "0" } });
    expect(overlay(container)).toHaveAttribute("opacity", "0");
  });

  it("lists each class's share of the image and its pixels, largest first", () => {
    renderWithProviders(<SegmentationResult job={segmentationJob()} />);
    const cells = rows().map((row) => within(row).getAllByRole("cell").map((cell) => cell.textContent));
    const thousands = (n: number) => n.toLocaleString();
    expect(cells).toEqual([
      ["road", "57.1%", thousands(456789)],
      ["person", "1.5%", thousands(12345)],
      ["traffic sign", "under 0.1%", "300"],
    ]);
    expect(thousands(456789)).toMatch(/^456\D+789$/);
    expect(rows()[0].querySelector("rect")).toHaveAttribute("fill", "#7f8c8d");
    expect(screen.getByLabelText("Summary")).toHaveTextContent("Image covered58.7%");
  });

  it("works out a share from the pixels when it is missing, and keeps a colour for a bad one", () => {
    const job = segmentationJob({ items: [{ label: "sky", class_id: 2, pixels: 200000, color: "red" }] });
    renderWithProviders(<SegmentationResult job={job} />);
    expect(within(rows()[0]).getByText("25.0%")).toBeInTheDocument();
    expect(rows()[0].querySelector("rect")?.getAttribute("fill")).toMatch(/^#[0-9a-f]{6}$/);
  });

  it("offers each file once, the API's main output (the mask) first and as a button", () => {
    renderWithProviders(<ResultView job={{ ...segmentationJob(), main_output: "mask.png" }} />);
    const links = screen.getAllByRole("link", { name: /^Download/ });
    expect(links.map((link) => link.textContent)).toEqual(["Download mask.png", "Download annotated.jpg", "Download result.json", "Download street.jpg"]);
    expect(links[0]).toHaveAttribute("href", "/api/predictions/x/files/mask.png?download=true");
    expect(links[0]).toHaveClass("button");
    expect(links[1]).not.toHaveClass("button");
    // the viewer itself offers no second set of downloads
    const viewer = screen.getByRole("region", { name: "Segmentation" });
    expect(within(viewer).queryByRole("link", { name: /^Download/ })).not.toBeInTheDocument();
  });

  it("hints that the table scrolls when it is wider than the screen", () => {
    vi.spyOn(HTMLElement.prototype, "scrollWidth", "get").mockReturnValue(500);
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(300);
    renderWithProviders(<SegmentationResult job={segmentationJob()} />);
    expect(screen.getByText("Scroll the table sideways to see all of it.")).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Area of each class" })).toHaveAttribute("tabindex", "0");
  });

  it("gives no scroll hint when the table fits", () => {
    renderWithProviders(<SegmentationResult job={segmentationJob()} />);
    expect(screen.queryByText(/sideways/)).not.toBeInTheDocument();
  });

  it("says when nothing was found, and shows the image without a mask when there is none", () => {
    const { container } = renderWithProviders(<SegmentationResult job={segmentationJob({ count: 0, items: [] }, [data])} />);
    expect(screen.getByText("The model found none of its classes in this image.")).toBeInTheDocument();
    expect(screen.getByText(/no mask to lay over the image/)).toBeInTheDocument();
    expect(overlay(container)).toBeNull();
    expect(screen.queryByRole("slider")).not.toBeInTheDocument();
  });
});
