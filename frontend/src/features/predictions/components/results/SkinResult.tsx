import { lazy, Suspense } from "react";
import type { Job } from "@/api/types";
import { Loading } from "@/components/Spinner";
import { DownloadButtons } from "./ArtifactList";
import { SummaryList } from "./SummaryList";
import { num, record, str } from "./shape";

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
    .map((axis) => `${axis} ${String(withSkin[axis])}${num(slices[axis]) !== null ? ` of ${String(slices[axis])}` : ""}`)
    .join(", ");
  const voxelSize = Array.isArray(result.voxel_size_mm) ? (result.voxel_size_mm as number[]).map((v) => Number(v).toFixed(2)).join(" × ") : null;
  const shape = Array.isArray(result.shape) ? (result.shape as number[]).join(" × ") : null;
  return (
    <section className="panel" aria-labelledby="result-heading">
      <h2 id="result-heading">Skin segmentation</h2>
      {str(result.note) && (
        <p className="alert alert-warning" role="note">
          {str(result.note)}
        </p>
      )}
      {input && mask ? (
        <Suspense fallback={<Loading label="Loading the volume viewer…" />}>
          <VolumeViewer
            volume={{ url: input.url, name: input.name.toLowerCase().endsWith(".nii") ? "input.nii" : "input.nii.gz" }}
            overlay={{ url: mask.url, name: mask.name }}
            fallbackImage={preview ? { url: preview.url, alt: "Axial, coronal and sagittal slices with the skin mask in red" } : undefined}
          />
        </Suspense>
      ) : (
        <p>The volume or its mask is missing; the files below are what this job has.</p>
      )}
      <h3>Statistics</h3>
      <SummaryList
        label="Statistics"
        items={[
          { label: "Skin voxels", value: num(result.voxels)?.toLocaleString() },
          { label: "Skin volume", value: num(result.volume_ml) !== null ? `${result.volume_ml} mL` : null },
          { label: "Slices with skin", value: sliceText || null },
          { label: "Volume size", value: shape ? `${shape} voxels` : null },
          { label: "Voxel size", value: voxelSize ? `${voxelSize} mm` : null },
          { label: "Orientation", value: str(result.orientation) },
          { label: "Model", value: [str(result.model), str(result.method)].filter(Boolean).join(" — ") || null },
          { label: "Segmentation time", value: num(result.segment_ms) !== null ? `${Math.round(num(result.segment_ms)!)} ms` : null },
        ]}
      />
      {preview && (
        <figure className="result-figure">
          <img src={preview.url} alt="Axial, coronal and sagittal slices through the volume with the skin mask in red" />
          <figcaption>Preview: the middle slices with the mask in red.</figcaption>
        </figure>
      )}
      <DownloadButtons artifacts={job.artifacts} />
    </section>
  );
}
