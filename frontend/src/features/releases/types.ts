// Short names for the generated schema's types of releases, replays and comparisons
// (/api/admin/catalog/{name}/releases, /replays).
import type { components } from "@/api/schema";

type Schemas = components["schemas"];

export type Release = Schemas["ReleaseOut"];
export type ReleaseState = Schemas["ReleaseState"];
export type ReleaseIn = Schemas["ReleaseIn"];
export type ReleaseEdit = Schemas["ReleaseEditIn"];
export type Replay = Schemas["ReplayOut"];
export type ReplayIn = Schemas["ReplayIn"];
export type ReplayState = Schemas["ReplayState"];
export type Comparison = Schemas["ComparisonOut"];
export type VersionFigures = Schemas["VersionFiguresOut"];
/** The model with its versions, as the catalog keeps it. */
export type ManagedModel = Schemas["ManagedModelOut"];
export type ModelVersion = Schemas["VersionOut"];
