// Short names for the generated schema's types: the rest of the app imports from here.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type ModelCard = Schemas["ModelPublic"];
/** The registry's model card: source, license, training data, limitations. */
export type ModelAbout = Schemas["ModelCard"];
export type Param = Schemas["Param"];
export type Job = Schemas["JobPublic"];
export type JobStatus = Schemas["JobStatus"];
export type JobList = Schemas["JobListOut"];
export type Artifact = Schemas["ArtifactPublic"];
export type InputFile = Schemas["InputPublic"];
export type User = Schemas["UserPublic"];
export type Role = Schemas["Role"];
export type TokenOut = Schemas["TokenOut"];
export type ContactIn = Schemas["ContactIn"];
export type ContactOut = Schemas["ContactOut"];
export type ContactMessage = Schemas["ContactMessage"];
export type AuditEntry = Schemas["AuditEntry"];
export type JobSort = Schemas["JobSort"];
export type ResultKind = Schemas["ResultKind"];
/** A machine that runs jobs (GET /api/admin/nodes): a worker node, or this server's own workers. */
export type NodeInfo = Schemas["NodeOut"];
/** One model as a node has it: state, why not loaded, load time, runtime. */
export type NodeModel = Schemas["NodeModelOut"];

/** What GET /api/admin/predictions takes: only the filters that are set. */
export interface AdminPredictionQuery {
  model?: string;
  user?: string;
  status?: JobStatus;
  since?: string;
  until?: string;
  name?: string;
  sort: JobSort;
  order: "asc" | "desc";
  offset: number;
  limit: number;
}

export const TERMINAL_STATUSES: readonly JobStatus[] = ["succeeded", "failed", "cancelled"];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

// /api/admin/stats and /api/admin/models answer untyped objects in the schema (dict[str, Any]);
// these are their shapes as backend/modelgallery/admin.py writes them.
export interface Percentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}
export interface StatsDayRow {
  day: string;
  model: string;
  count: number;
  succeeded?: number;
  failed?: number;
  cancelled?: number;
  queued?: number;
  running?: number;
}
export interface StatsModelRow {
  model: string;
  count: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  failure_rate: number;
  latency_ms: Percentiles;
  model_ms: Percentiles;
}
/** The data folder's free space; below the reserve uploads are refused (507). */
export interface StorageSpace {
  free_bytes: number;
  total_bytes: number;
  reserve_bytes: number;
  low: boolean;
}
/** What one model's kept files take (all time; expired jobs left out). */
export interface ModelStorageRow {
  model: string;
  jobs: number;
  bytes: number;
  /** 0: kept for ever */
  retention_days: number;
}
export interface Stats {
  per_day: StatsDayRow[];
  models: StatsModelRow[];
  total: number;
  storage: StorageSpace;
  storage_per_model: ModelStorageRow[];
}
export interface WorkerInfo {
  name: string;
  group: string;
  pid: number | null;
  alive: boolean;
  job_id: string | null;
  jobs_done: number;
  restarts: number;
  /** The machine it runs on: this server, or a worker node (EXECUTOR=celery). */
  node: string;
  ready: boolean;
  /** Each model of its group as this process has it: loaded, loading, unloaded, … */
  models: Record<string, string>;
}
export interface AdminModels {
  models: ModelCard[];
  workers: WorkerInfo[];
  queues: Record<string, number>;
}
