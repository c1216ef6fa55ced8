// Reporting a wrong result: what a job's result offers to correct (a batch's files, a
// classification's classes, the boxes of detections and faces), and the report sent for it.
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";
import type { FeedbackIn, Job, ModelCard } from "@/api/types";

/** What one image's result holds: a correction of each kind looks different. */
export type ReportKind = "classification" | "detections" | "faces" | "other";

export const GENDERS = ["woman", "man"] as const;
export const NOTE_MAX = 2000;

export interface ReportItem {
  index: number;
  label: string;
  confidence: number | null;
  box: [number, number, number, number];
}

type Entry = Record<string, unknown>;

function entries(job: Job): Entry[] {
  const perFile = job.result?.per_file;
  return Array.isArray(perFile) ? perFile.filter((e): e is Entry => typeof e === "object" && e !== null) : [];
}

/** The kind of one image's result: the job's own, or for a batch what the model declares for
 * one image, else what the files' items look like. */
export function reportKind(job: Job, model?: ModelCard): ReportKind {
  let kind: string = job.result_kind;
  if (kind === "batch") {
    kind = model?.result_kinds.image ?? guessKind(entries(job));
  }
  return kind === "classification" || kind === "detections" || kind === "faces" ? kind : "other";
}

function guessKind(files: Entry[]): string {
  for (const file of files) {
    if ("category" in file) return "classification";
    const items = Array.isArray(file.items) ? (file.items as Entry[]) : [];
    if (items.length) return "gender" in items[0] ? "faces" : "detections";
  }
  return "other";
}

export function isBatch(job: Job): boolean {
  return job.result_kind === "batch";
}

/** A batch's files by their index, with the name the user gave each. */
export function batchFiles(job: Job): { index: number; name: string; failed: boolean }[] {
  return entries(job).map((entry, index) => ({
    index,
    name: typeof entry.file === "string" ? entry.file : `file ${index + 1}`,
    failed: Boolean(entry.error),
  }));
}

function imageResult(job: Job, file: number | null): Entry | null {
  if (!isBatch(job)) return job.result ?? null;
  return file === null ? null : (entries(job)[file] ?? null);
}

/** The predicted boxes of the image a report is about (none for a whole batch). */
export function reportItems(job: Job, kind: ReportKind, file: number | null): ReportItem[] {
  const items = imageResult(job, file)?.items;
  if (!Array.isArray(items)) return [];
  return items.flatMap((raw, index) => {
    const item = raw as Entry;
    const box = item.box;
    if (!Array.isArray(box) || box.length !== 4) return [];
    const label = kind === "faces" ? item.gender : item.label;
    const confidence = typeof item.confidence === "number" ? item.confidence : null;
    return [{ index, label: String(label ?? "?"), confidence, box: box.map(Number) as ReportItem["box"] }];
  });
}

/** The classes a correction may name: a face's genders, else the model's classes as the
 * result recorded them, or as the loaded model lists them (GET /api/models). */
export function reportClasses(job: Job, kind: ReportKind, model?: ModelCard): string[] {
  if (kind === "faces") return [...GENDERS];
  const recorded = job.result?.model_classes;
  if (Array.isArray(recorded) && recorded.every((c) => typeof c === "string")) return recorded as string[];
  return model?.classes ?? [];
}

export interface ReportDraft {
  note: string;
  file: number | null;
  label: string; // a classification's right class; "" for none
  wrong: Map<number, string>; // item index -> its right class ("" for: nothing is there)
}

/** The body sent for a draft: a marked box with a right class is given again with it. */
export function reportBody(draft: ReportDraft, kind: ReportKind, items: ReportItem[]): FeedbackIn {
  const body: FeedbackIn = { note: draft.note.trim() };
  if (draft.file !== null) body.file = draft.file;
  if (kind === "classification" && draft.label) body.label = draft.label;
  if (kind === "detections" || kind === "faces") {
    const marked = [...draft.wrong.keys()].sort((a, b) => a - b);
    if (marked.length) body.wrong = marked;
    const boxes = items
      .filter((item) => draft.wrong.get(item.index))
      .map((item) => ({ label: draft.wrong.get(item.index) as string, box: item.box }));
    if (boxes.length) body.boxes = boxes;
  }
  return body;
}

export function reportResult(jobId: string, body: FeedbackIn) {
  return unwrap(api.POST("/api/predictions/{job_id}/feedback", { params: { path: { job_id: jobId } }, body }));
}

export function useReportResult(jobId: string) {
  return useMutation({ mutationFn: (body: FeedbackIn) => reportResult(jobId, body) });
}
