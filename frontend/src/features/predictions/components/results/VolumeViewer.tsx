// An interactive NiiVue viewer (WebGL2) of a NIfTI volume with a mask as a red overlay.
import { useEffect, useId, useRef, useState } from "react";
import { Niivue, SLICE_TYPE } from "@niivue/niivue";
import { formatPercent } from "@/lib/format";
import { describeLocation, type CrosshairLocation } from "./location";
import "./VolumeViewer.css";

interface Source {
  url: string;
  /** a name with the right ending: NiiVue reads the format from it (the URLs have none) */
  name: string;
}

interface Props {
  volume: Source;
  overlay: Source;
  fallbackImage?: { url: string; alt: string };
}

const VIEWS: { label: string; value: SLICE_TYPE }[] = [
  { label: "Axial", value: SLICE_TYPE.AXIAL },
  { label: "Coronal", value: SLICE_TYPE.CORONAL },
  { label: "Sagittal", value: SLICE_TYPE.SAGITTAL },
  { label: "All three", value: SLICE_TYPE.MULTIPLANAR },
];

export function webgl2Available(): boolean {
  try {
    return Boolean(document.createElement("canvas").getContext("webgl2"));
  } catch {
    return false;
  }
}

/** A 0/1 mask shows almost black in NiiVue (seen with uint8 masks under SwiftShader): its
 * voxels are set to 255 and shown from 128 up, so the mask is full red and the rest clear. */
export function brightenMask(nv: Niivue, index = 1) {
  const mask = nv.volumes[index];
  if (!mask?.img || !(mask.global_max !== undefined && mask.global_max <= 1)) return;
  const img = mask.img;
  for (let i = 0; i < img.length; i++) if (img[i] > 0) img[i] = 255;
  mask.global_max = 255;
  mask.cal_min = 128;
  mask.cal_max = 255;
  nv.updateGLVolume();
}

export default function VolumeViewer({ volume, overlay, fallbackImage }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const viewer = useRef<Niivue | null>(null);
  // three panels side by side are too small on a phone: start with one
  const [view, setView] = useState<SLICE_TYPE>(() =>
    typeof window !== "undefined" && window.innerWidth < 640 ? SLICE_TYPE.AXIAL : SLICE_TYPE.MULTIPLANAR,
  );
  const [opacity, setOpacity] = useState(0.6);
  const [state, setState] = useState<"loading" | "ready" | "failed" | "no-webgl">(() => (webgl2Available() ? "loading" : "no-webgl"));
  const [location, setLocation] = useState("");
  // what NiiVue really holds, as data attributes (end-to-end tests read them)
  const [shown, setShown] = useState<{ volumes: number; opacity: number | null }>({ volumes: 0, opacity: null });
  const opacityId = useId();
  const viewName = useId();
  const initial = useRef({ view, opacity });

  useEffect(() => {
    if (state === "no-webgl" || !canvas.current) return;
    let cancelled = false;
    const nv = new Niivue({
      backColor: [0.08, 0.09, 0.11, 1],
      show3Dcrosshair: false,
      isResizeCanvas: true,
      logLevel: "error",
      loadingText: "Loading the volume...", // NiiVue's font has no "…"
      dragAndDropEnabled: false,
    });
    viewer.current = nv;
    if (import.meta.env.DEV) (window as unknown as { __niivue?: Niivue }).__niivue = nv; // for debugging
    nv.onLocationChange = (data: unknown) => {
      const scan = nv.volumes[0];
      // the voxels NiiVue reports are in RAS order, as its dimsRAS ([rank, x, y, z])
      const dims = Array.from(scan?.dimsRAS ?? scan?.dims ?? []).slice(1, 4);
      setLocation(describeLocation(data as CrosshairLocation, dims) ?? "");
    };
    (async () => {
      try {
        await nv.attachToCanvas(canvas.current!);
        await nv.loadVolumes([
          { url: volume.url, name: volume.name },
          { url: overlay.url, name: overlay.name, colormap: "red", opacity: initial.current.opacity },
        ]);
        if (cancelled) return;
        brightenMask(nv);
        nv.setSliceType(initial.current.view);
        setShown({ volumes: nv.volumes.length, opacity: nv.volumes[1]?.opacity ?? null });
        setState("ready");
      } catch {
        if (!cancelled) setState("failed");
      }
    })();
    return () => {
      cancelled = true;
      viewer.current = null;
      try {
        nv.cleanup();
      } catch {
        /* already gone */
      }
    };
  }, [volume.url, volume.name, overlay.url, overlay.name, state === "no-webgl"]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (state === "ready") viewer.current?.setSliceType(view);
  }, [view, state]);

  useEffect(() => {
    const nv = viewer.current;
    if (state !== "ready" || !nv || nv.volumes.length < 2) return;
    nv.setOpacity(1, opacity);
    setShown({ volumes: nv.volumes.length, opacity: nv.volumes[1]?.opacity ?? null });
  }, [opacity, state]);

  if (state === "no-webgl") {
    return (
      <div className="alert alert-warning" role="note">
        <p>This browser cannot show the interactive viewer (it needs WebGL2). The preview below shows the middle slices.</p>
        {fallbackImage && <img className="fallback-image" src={fallbackImage.url} alt={fallbackImage.alt} />}
      </div>
    );
  }

  return (
    <div className="volume-viewer">
      <div className="volume-controls">
        <fieldset className="segmented">
          <legend>View</legend>
          {VIEWS.map((option) => (
            <label key={option.value}>
              <input type="radio" name={viewName} value={option.value} checked={view === option.value} onChange={() => setView(option.value)} />
              <span>{option.label}</span>
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={opacityId}>
            Mask opacity: <strong>{formatPercent(opacity)}</strong>
          </label>
          <input
            id={opacityId}
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={opacity}
            aria-valuetext={formatPercent(opacity)}
            onChange={(event) => setOpacity(Number(event.target.value))}
          />
        </div>
      </div>
      <div className="volume-canvas" data-loaded-volumes={shown.volumes} data-overlay-opacity={shown.opacity ?? undefined}>
        <canvas
          ref={canvas}
          role="img"
          aria-label="Interactive view of the volume with the skin mask in red. Click or drag to move through the slices; scroll to change the slice."
        />
      </div>
      <p className="muted" aria-live="polite">
        {state === "loading" && "Loading the volume and the mask…"}
        {state === "failed" && "The volume could not be shown here; use the preview and the downloads below."}
        {state === "ready" && (location ? `Crosshair: ${location}` : "Click in the image to move the crosshair and read the position and intensity there.")}
      </p>
    </div>
  );
}
