import { lazy, Suspense } from "react";
import type { Job } from "@/api/types";
import { Loading } from "@/components/Spinner";
import { nothingFoundReason } from "@/api/predictions";
import { formatDuration, formatNumber, formatPercent, formatQuantity } from "@/lib/format";
import { SummaryList } from "./SummaryList";
import { num, record, str } from "./shape";
import { ResultSection } from "./ResultSection";
import "./results.css";

// NiiVue is large: it is loaded only when a skin segmentation result is shown.
const VolumeViewer = lazy(() => import("./VolumeViewer"));

export function SkinResult({ job }: { job: Job }) {
  const result = record(job.result);
  const input = job.inputs[0];
  const mask = job.artifacts.find((a) => a.role === "mask");
  const preview = job.artifacts.find((a) => a.role === "preview");
  const withSkin = record(result.slices_with_skin);
  const slices = record(result.slices);
  const sliceText = Object.keys(withSkin)
    .map((axis) => `${axis} ${formatNumber(num(withSkin[axis]))}${num(slices[axis]) !== null ? ` of ${formatNumber(num(slices[axis]))}` : ""}`)
    .join(", ");
  const voxelSize = Array.isArray(result.voxel_size_mm) ? (result.voxel_size_mm as number[]).map((v) => formatNumber(Number(v), 2)).join(" × ") : null;
  const shape = Array.isArray(result.shape) ? (result.shape as number[]).map((v) => formatNumber(Number(v))).join(" × ") : null;
  // results from before the checks have no skin_found: they had a mask
  const nothing = nothingFoundReason(job);
  const found = nothing === null;
  const warnings = Array.isArray(result.warnings) ? result.warnings.filter((w): w is string => typeof w === "string") : [];
  return (
    <ResultSection title="Skin segmentation">
      {str(result.note) && (
        <p className="alert alert-warning" role="note">
          {str(result.note)}
        </p>
      )}
      {nothing && (
        <div className="alert alert-warning" role="status">
          <p className="alert-title">Nothing to segment</p>
          <p>{nothing}</p>
        </div>
      )}
      {warnings.length > 0 && (
        <div className="alert alert-warning" role="note" aria-label="Warnings about the mask">
          <p className="alert-title">Check this mask</p>
          <ul>
            {warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </div>
      )}
      {found && input && mask && (
        <Suspense fallback={<Loading label="Loading the volume viewer…" />}>
          <VolumeViewer
            volume={{ url: input.url, name: input.name.toLowerCase().endsWith(".nii") ? "input.nii" : "input.nii.gz" }}
            overlay={{ url: mask.url, name: mask.name }}
            fallbackImage={preview ? { url: preview.url, alt: "Axial, coronal and sagittal slices with the skin mask in red" } : undefined}
          />
        </Suspense>
      )}
      {found && !(input && mask) && <p>The volume or its mask is missing; the files below are what this job has.</p>}
      <h3>Statistics</h3>
      <SummaryList
        label="Statistics"
        items={[
          { label: "Skin voxels", value: found ? num(result.voxels) : null },
          { label: "Skin volume", value: found && num(result.volume_ml) !== null ? formatQuantity(num(result.volume_ml), "mL", 1) : null },
          { label: "Slices with skin", value: found ? sliceText || null : null },
          { label: "Volume size", value: shape ? `${shape} voxels` : null },
          { label: "Voxel size", value: voxelSize ? `${voxelSize} mm` : null },
          { label: "Orientation", value: str(result.orientation) },
          { label: "Method", value: str(result.method) },
          { label: "Segmentation time", value: num(result.segment_ms) !== null ? formatDuration(num(result.segment_ms)) : null },
        ]}
      />
      {found && <QualityList quality={record(result.quality)} />}
      {preview && (
        <figure className="result-figure">
          <img src={preview.url} alt={`Axial, coronal and sagittal slices through the volume${found ? " with the skin mask in red" : ""}`} />
          <figcaption>{found ? "Preview: the middle slices with the mask in red." : "Preview: the middle slices of the volume; nothing was segmented."}</figcaption>
        </figure>
      )}
    </ResultSection>
  );
}

/** The measures of the mask (skin_checks.measure_skin): thickness, coverage, pieces. */
function QualityList({ quality }: { quality: Record<string, unknown> }) {
  if (Object.keys(quality).length === 0) return null;
  const thickness = record(quality.thickness_mm);
  const median = num(thickness.median);
  const p5 = num(thickness.p5);
  const p95 = num(thickness.p95);
  const percent = (value: unknown) => (num(value) !== null ? formatPercent(num(value)) : null);
  const pieces = num(quality.components);
  const tenths = { min: 1, max: 1 };
  const largest = percent(quality.largest_component_share);
  return (
    <>
      <h3>Mask quality</h3>
      <SummaryList
        label="Mask quality"
        items={[
          {
            label: "Skin thickness",
            value:
              median !== null
                ? `${formatQuantity(median, "mm", tenths)} median${p5 !== null && p95 !== null ? ` (${formatNumber(p5, tenths)}–${formatQuantity(p95, "mm", tenths)}, 5th–95th percentile)` : ""}`
                : null,
          },
          { label: "Head surface covered", value: percent(quality.surface_coverage) },
          { label: "Connected pieces", value: pieces !== null ? `${formatNumber(pieces)}${largest ? ` (the largest holds ${largest})` : ""}` : null },
          { label: "Outside the head", value: percent(quality.outside_head_share) },
        ]}
      />
    </>
  );
}
