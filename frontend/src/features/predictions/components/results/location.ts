// The volume viewer's readout of the crosshair, apart from NiiVue so that it can be tested
// without WebGL.
import { formatNumber } from "@/lib/format";

/** What NiiVue tells of the crosshair (its `onLocationChange`), as far as the readout uses it. */
export interface CrosshairLocation {
  /** the position in millimetres (scanner space), x y z (and the 4D frame) */
  mm: ArrayLike<number>;
  /** each loaded volume's voxel and value there: the scan first, then the mask */
  values: { value: number; vox: ArrayLike<number> }[];
}

/** The crosshair's place and what is there, in words: "x −86, y 27, z 19 mm (voxel 5, 120,
 * 80) · intensity 312 · inside the skin mask"; null when it lies outside the scan's voxels
 * (`dims`: the scan's size in voxels), where there is nothing to read. */
export function describeLocation(location: CrosshairLocation, dims: ArrayLike<number>, maskLabel = "skin"): string | null {
  const [scan, mask] = location.values;
  if (!scan || dims.length < 3) return null;
  const vox = Array.from(scan.vox).slice(0, 3).map(Math.round);
  if (vox.length < 3 || vox.some((v, axis) => !(v >= 0 && v < dims[axis]))) return null;
  const [x, y, z] = Array.from(location.mm).map((v) => formatNumber(v, 1));
  const parts = [`x ${x}, y ${y}, z ${z} mm (voxel ${vox.map((v) => formatNumber(v)).join(", ")})`, `intensity ${formatNumber(scan.value, 2)}`];
  if (mask) parts.push(mask.value > 0 ? `inside the ${maskLabel} mask` : `outside the ${maskLabel} mask`);
  return parts.join(" · ");
}
