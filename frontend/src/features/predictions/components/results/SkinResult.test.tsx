import { describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import { renderWithProviders } from "@/testing/render";
import { makeJob } from "@/testing/fixtures";
import type { Artifact } from "@/api/types";
import { SkinResult } from "./SkinResult";

vi.mock("./VolumeViewer", () => ({ default: () => <p>volume viewer</p> }));

const file = (name: string, role: string, media_type: string): Artifact => ({
  name,
  role,
  media_type,
  size: 10,
  deferred: false,
  url: `/api/predictions/x/files/${name}`,
});
const preview = file("skin_preview.jpg", "preview", "image/jpeg");
const stats = file("skin_stats.json", "data", "application/json");
const input = { name: "head.nii.gz", size: 1000, sha256: "", media_type: "application/x-nifti+gzip", url: "/api/predictions/x/inputs/input-0.nii.gz" };
const geometry = { shape: [181, 217, 181], voxel_size_mm: [1, 1, 1], orientation: "RAS", model: "skin-segmentation", method: "classical", segment_ms: 8000 };

describe("skin segmentation result", () => {
  it("shows the measures of the mask and the warnings about it", async () => {
    const job = makeJob({
      status: "succeeded",
      result_kind: "volume-mask",
      inputs: [input],
      artifacts: [file("skin_mask.nii.gz", "mask", "application/gzip"), preview, stats],
      result: {
        ...geometry,
        skin_found: true,
        voxels: 286325,
        volume_ml: 286.325,
        quality: {
          thickness_mm: { median: 12.4, p5: 2.24, p95: 30 },
          surface_coverage: 0.42,
          components: 7,
          largest_component_share: 0.8,
          outside_head_share: 0,
        },
        warnings: ["The skin is 12.4 mm thick (median), outside the 1-8 mm that skin and the fat under it measure on a head."],
      },
    });
    renderWithProviders(<SkinResult job={job} />);
    const warnings = screen.getByRole("note", { name: "Warnings about the mask" });
    expect(warnings).toHaveTextContent("12.4 mm thick (median)");
    const quality = screen.getByLabelText("Mask quality");
    expect(quality).toHaveTextContent("12.4 mm median (2.2–30.0 mm, 5th–95th percentile)");
    expect(quality).toHaveTextContent("42%");
    expect(quality).toHaveTextContent("7 (the largest holds 80%)");
    // in the reader's locale, with a sensible number of digits (not "286.325 mL", read as 286,325)
    const statistics = within(screen.getByLabelText("Statistics"));
    expect(statistics.getByText("286.3 mL")).toBeInTheDocument();
    expect(statistics.getByText("286,325")).toBeInTheDocument();
    expect(statistics.getByText("8.00 s")).toBeInTheDocument();
    expect(await screen.findByText("volume viewer")).toBeInTheDocument();
    expect(screen.queryByRole("status")).not.toBeInTheDocument();
  });

  it("says why there was nothing to segment, and shows no skin figures", () => {
    const finding = "No skin layer found: the volume looks skull-stripped (a brain without scalp) or is not an MRI of a head.";
    const job = makeJob({
      status: "succeeded",
      result_kind: "volume-mask",
      outcome: "nothing_found",
      inputs: [input],
      artifacts: [preview, stats],
      result: { ...geometry, skin_found: false, finding, voxels: 0, volume_ml: 0, checks: { neighbour_correlation: 0.98 } },
    });
    renderWithProviders(<SkinResult job={job} />);
    // a warning, not a success: the model found nothing to work on
    expect(screen.getByRole("status")).toHaveTextContent(`Nothing to segment${finding}`);
    expect(screen.getByRole("status")).toHaveClass("alert-warning");
    const statistics = screen.getByLabelText("Statistics");
    expect(statistics).not.toHaveTextContent("Skin volume");
    expect(statistics).toHaveTextContent("181 × 217 × 181 voxels");
    expect(screen.queryByLabelText("Mask quality")).not.toBeInTheDocument();
    expect(screen.queryByText("volume viewer")).not.toBeInTheDocument();
    expect(screen.queryByText(/its mask is missing/)).not.toBeInTheDocument();
    expect(screen.getByRole("img", { name: "Axial, coronal and sagittal slices through the volume" })).toHaveAttribute("src", preview.url);
  });
});
