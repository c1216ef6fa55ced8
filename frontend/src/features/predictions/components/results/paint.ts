// Boxes and their caption chips painted on a canvas laid exactly over an image or a video
// (the image viewer's and the video overlay's one way of drawing them).
import { captionPosition, colorFor, scaleBox, type Detection, type Size } from "./boxes";

/** Sizes `canvas` to `displayed` (in device pixels) and paints `detections` on it, their
 * boxes given in the pixels of `space` (the original image's or video's size). */
export function paintDetections(canvas: HTMLCanvasElement, detections: Detection[], space: Size, displayed: Size, colors: Record<string, string> = {}): void {
  const context = canvas.getContext("2d");
  if (!context || displayed.width === 0) return;
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(displayed.width * ratio);
  const height = Math.round(displayed.height * ratio);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, displayed.width, displayed.height);
  const font = displayed.width < 420 ? 11 : 13;
  context.font = `600 ${font}px system-ui, sans-serif`;
  context.textBaseline = "top";
  for (const detection of detections) {
    const rect = scaleBox(detection.box, space, displayed);
    const color = colorFor(detection.label, colors);
    context.lineWidth = 2;
    context.strokeStyle = "rgba(255,255,255,0.85)";
    context.strokeRect(rect.x - 1, rect.y - 1, rect.width + 2, rect.height + 2);
    context.strokeStyle = color;
    context.strokeRect(rect.x, rect.y, rect.width, rect.height);
    const chip = { width: context.measureText(detection.caption).width + 8, height: font + 6 };
    const at = captionPosition(rect, chip, displayed);
    context.fillStyle = color;
    context.fillRect(at.x, at.y, chip.width, chip.height);
    context.fillStyle = "#ffffff";
    context.fillText(detection.caption, at.x + 4, at.y + 3, displayed.width - 8);
  }
}
