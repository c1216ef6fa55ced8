// Short names for the generated schema's types of /api/admin/catalog (catalog, versions).
import type { components } from "@/api/schema";

type Schemas = components["schemas"];

/** A model in the store with its versions (GET /api/admin/catalog). */
export type ManagedModel = Schemas["ManagedModelOut"];
export type ModelVersion = Schemas["VersionOut"];
export type VersionState = Schemas["VersionState"];
export type Weight = Schemas["WeightOut"];
export type NewModel = Schemas["NewModelIn"];
export type ModelEdit = Schemas["ModelEditIn"];
export type VersionEdit = Schemas["VersionEditIn"];
/** What a version may ask to run on: auto (the fastest measured at load) or one runtime. */
export type RuntimeRequest = Schemas["RuntimeChoice"]["requested"];
export type RuntimeName = Schemas["RuntimeChoice"]["chosen"];

/** Every runtime a version may name; the check below fails to compile when the API adds one. */
export const RUNTIMES = ["onnxruntime", "openvino", "litert", "torch", "tensorflow", "opencv"] as const satisfies readonly RuntimeName[];
type MissingRuntime = Exclude<RuntimeName, (typeof RUNTIMES)[number]>;
export const RUNTIMES_COMPLETE: [MissingRuntime] extends [never] ? true : MissingRuntime = true;

/** The families a new model may take besides those already in use (the generic ones). */
export const GENERIC_FAMILIES = ["image-classification", "image-segmentation", "yolo"] as const;

/** A new model's task when its family says it. */
export const TASK_OF_FAMILY: Record<string, string> = {
  "image-classification": "image-classification",
  "image-segmentation": "image-segmentation",
  yolo: "object-detection",
};
