// Short names for the generated schema's types: the rest of the app imports from here.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type ModelCard = Schemas["ModelPublic"];
/** The registry's model card: source, license, training data, limitations. */
export type ModelAbout = Schemas["ModelCard"];
export type Param = Schemas["Param"];
/** A file a model writes, with what it holds in words. */
export type Output = Schemas["Output"];
export type Job = Schemas["JobPublic"];
export type JobStatus = Schemas["JobStatus"];
export type JobList = Schemas["JobListOut"];
export type Artifact = Schemas["ArtifactPublic"];
export type InputFile = Schemas["InputPublic"];
export type User = Schemas["UserPublic"];
export type Role = Schemas["Role"];
export type TokenOut = Schemas["TokenOut"];
/** One signed-in session of the account (GET /api/account/sessions). */
export type AccountSession = Schemas["SessionOut"];
export type ContactIn = Schemas["ContactIn"];
export type ContactOut = Schemas["ContactOut"];
export type ContactMessage = Schemas["ContactMessage"];
/** An audit entry with its target named (a file, a title, an e-mail). */
export type AuditEntry = Schemas["AuditEntryPublic"];
export type JobSort = Schemas["JobSort"];
export type ResultKind = Schemas["ResultKind"];
/** A machine that runs jobs (GET /api/admin/nodes): a worker node, or this server's own workers. */
export type NodeInfo = Schemas["NodeOut"];
/** One model as a node has it: state, why not loaded, load time, runtime. */
export type NodeModel = Schemas["NodeModelOut"];
/** One day's predictions of one model by status (GET /api/admin/stats). */
export type StatsDayRow = Schemas["StatsDay"];
/** The data folder's free space; below the reserve uploads are refused (507). */
export type StorageSpace = Schemas["StorageSpace"];
/** A worker process (GET /api/admin/models). */
export type WorkerInfo = Schemas["WorkerOut"];
/** How two results of the same input agree (a user's comparison, one pair of a release). */
export type Agreement = Schemas["AgreementOut"]["agreement"];
/** The agreement of many pairs of one result kind, from summed counts. */
export type AgreementSummary = Schemas["AgreementSummary"];
export type BoxCounts = Schemas["BoxCounts"];
export type LabelAgreement = Schemas["LabelAgreement"];
export type MaskTotals = Schemas["MaskTotals"];
export type MaskOverlap = Schemas["MaskOverlap"];
/** A version of a model that a prediction can be compared on (GET /api/models/{name}/versions). */
export type ModelVersionInfo = Schemas["VersionPublic"];
/** What a user says is wrong with a result (POST /api/predictions/{id}/feedback). */
export type FeedbackIn = Schemas["FeedbackIn"];
/** A user's report on a result (a flag), as its author and administrators see it. */
export type Flag = Schemas["FlagOut"];
/** A flag with its prediction, in the administrators' list. */
export type FlagListItem = Schemas["FlagListItem"];
export type FlagState = Schemas["FlagState"];

export const TERMINAL_STATUSES: readonly JobStatus[] = ["succeeded", "failed", "cancelled"];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
