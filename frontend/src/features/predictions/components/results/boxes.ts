// Geometry and filtering of detection boxes drawn in the browser over the input image.
// Boxes come in the original image's pixels ([x1, y1, x2, y2]); the image is shown at
// another size, so every box is scaled by displayed / original on each axis.
import { classColour } from "@/lib/classColour";
import { formatPercent } from "@/lib/format";

export type BoxTuple = [number, number, number, number];

export interface Size {
  width: number;
  height: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One box to draw, whatever the model: detections and faces both become this. */
export interface Detection {
  /** class name shown and toggled ("person", "woman") */
  label: string;
  confidence: number;
  box: BoxTuple;
  /** the text drawn on the box */
  caption: string;
  /** index in the model's item list (the table's row) */
  index: number;
}

/** A box in original-image pixels → the displayed image's pixels, clipped to the image. */
export function scaleBox(box: BoxTuple, original: Size, displayed: Size): Rect {
  if (original.width <= 0 || original.height <= 0) return { x: 0, y: 0, width: 0, height: 0 };
  const sx = displayed.width / original.width;
  const sy = displayed.height / original.height;
  const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  const [a, b, c, d] = box;
  // tolerate boxes given as [x2, y2, x1, y1]
  const x1 = clamp(Math.min(a, c), original.width);
  const x2 = clamp(Math.max(a, c), original.width);
  const y1 = clamp(Math.min(b, d), original.height);
  const y2 = clamp(Math.max(b, d), original.height);
  return { x: x1 * sx, y: y1 * sy, width: (x2 - x1) * sx, height: (y2 - y1) * sy };
}

/** The size an image of `natural` size takes inside a box of `available` size (object-fit:
 * contain, never enlarged). */
export function fitSize(natural: Size, available: Size): Size {
  if (natural.width <= 0 || natural.height <= 0) return { width: 0, height: 0 };
  const scale = Math.min(1, available.width / natural.width, available.height / natural.height);
  return { width: natural.width * scale, height: natural.height * scale };
}

export interface BoxFilter {
  hidden: ReadonlySet<string>;
  minConfidence: number;
}

export function visibleDetections(detections: Detection[], filter: BoxFilter): Detection[] {
  return detections.filter((d) => !filter.hidden.has(d.label) && d.confidence >= filter.minConfidence);
}

/** Labels with how many boxes each has (all, and above the confidence), most frequent first. */
export function classCounts(detections: Detection[], minConfidence = 0): { label: string; total: number; shown: number }[] {
  const counts = new Map<string, { total: number; shown: number }>();
  for (const d of detections) {
    const entry = counts.get(d.label) ?? { total: 0, shown: 0 };
    entry.total += 1;
    if (d.confidence >= minConfidence) entry.shown += 1;
    counts.set(d.label, entry);
  }
  return [...counts.entries()]
    .map(([label, c]) => ({ label, ...c }))
    .sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
}

export function toggleLabel(hidden: ReadonlySet<string>, label: string): Set<string> {
  const next = new Set(hidden);
  if (next.has(label)) next.delete(label);
  else next.add(label);
  return next;
}

/** A box's colour: its class's (the one rule of src/lib/classColour.ts), unless `fixed`
 * gives that label another. */
export function colorFor(label: string, fixed: Record<string, string> = {}): string {
  return fixed[label] ?? classColour(label);
}

/** Where the caption chip goes: above the box, or inside it when the box touches the top;
 * moved left or up as far as needed to stay inside the image (a box at its right or bottom
 * edge), never past its left or top edge. */
export function captionPosition(rect: Rect, caption: Size, image: Size): { x: number; y: number } {
  const above = rect.y - caption.height >= 0 ? rect.y - caption.height : rect.y;
  return {
    x: Math.max(0, Math.min(rect.x, image.width - caption.width)),
    y: Math.max(0, Math.min(above, image.height - caption.height)),
  };
}

// --- reading model results into detections ---------------------------------------------

function isBox(value: unknown): value is BoxTuple {
  return Array.isArray(value) && value.length === 4 && value.every((v) => typeof v === "number" && Number.isFinite(v));
}

/** YOLO-style items: {label, class_id, confidence, box}. */
export function detectionsFromObjects(items: unknown): Detection[] {
  if (!Array.isArray(items)) return [];
  const out: Detection[] = [];
  items.forEach((item, index) => {
    if (!item || typeof item !== "object") return;
    const r = item as Record<string, unknown>;
    if (!isBox(r.box)) return;
    const label = typeof r.label === "string" ? r.label : r.class_id !== undefined ? `class ${String(r.class_id)}` : "object";
    const confidence = typeof r.confidence === "number" ? r.confidence : 1;
    out.push({ label, confidence, box: r.box, caption: `${label} ${formatPercent(confidence)}`, index });
  });
  return out;
}

/** Why a face's gender is "uncertain" (the item's `uncertain` reasons), in words. */
export const UNCERTAIN_REASONS: Record<string, string> = {
  low_probability: "less sure than the minimum gender certainty",
  small_face: "face too small",
};

/** Face items: {box, confidence, gender, probability, probabilities, uncertain}. The class
 * is the gender, or "uncertain": then the caption shows no gender and no percentage, so
 * that it cannot be read as an answer. */
export function detectionsFromFaces(items: unknown): Detection[] {
  if (!Array.isArray(items)) return [];
  const out: Detection[] = [];
  items.forEach((item, index) => {
    if (!item || typeof item !== "object") return;
    const r = item as Record<string, unknown>;
    if (!isBox(r.box)) return;
    const label = typeof r.gender === "string" ? r.gender : "face";
    const confidence = typeof r.confidence === "number" ? r.confidence : 1;
    let caption: string;
    if (label === "uncertain") {
      const small = Array.isArray(r.uncertain) && r.uncertain.includes("small_face");
      caption = small ? "uncertain: small face" : "uncertain";
    } else {
      const probability = typeof r.probability === "number" ? ` ${formatPercent(r.probability)}` : "";
      caption = `${label}${probability}`;
    }
    out.push({ label, confidence, box: r.box, caption, index });
  });
  return out;
}
