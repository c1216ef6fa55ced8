// The release and replay forms as drafts (what the inputs hold) checked into the API's bodies,
// with a sentence for each problem, before anything is sent.
import { localToIso } from "@/lib/datetime";
import type { ReleaseIn, ReplayIn } from "./types";

interface Shares {
  canary_share: number;
  shadow_share: number;
}

export const MAX_NOTE = 2000;
export const MAX_REPLAY = 1000;

export interface ShareDraft {
  /** percentages as typed: "50", "12.5" */
  canary: string;
  shadow: string;
}

export interface ReleaseDraft extends ShareDraft {
  candidate: string;
  note: string;
}

export type Problems<K extends string> = Partial<Record<K, string>>;

type Checked<T, K extends string> = { body: T; problems: null } | { body: null; problems: Problems<K> };

/** "50" → 0.5; null when it is not a percentage from 0 to 100. */
export function shareOf(text: string): number | null {
  const trimmed = text.trim().replace(/\s*%$/, "").replace(",", ".");
  if (trimmed === "" || !/^\d+(\.\d+)?$/.test(trimmed)) return null;
  const percent = Number(trimmed);
  return percent >= 0 && percent <= 100 ? Math.round(percent * 100) / 10_000 : null;
}

/** 0.5 → "50": how a share is shown in its input. */
export function percentText(share: number): string {
  return String(Math.round(share * 10_000) / 100);
}

export function checkShares(draft: ShareDraft): Checked<Shares, "canary" | "shadow" | "shares"> {
  const problems: Problems<"canary" | "shadow" | "shares"> = {};
  const canary = shareOf(draft.canary);
  const shadow = shareOf(draft.shadow);
  if (canary === null) problems.canary = "Enter the canary share as a percentage from 0 to 100.";
  if (shadow === null) problems.shadow = "Enter the shadow share as a percentage from 0 to 100.";
  if (canary === 0 && shadow === 0) {
    problems.shares = "Give the candidate a canary or a shadow share: at 0 % for both it would run nothing.";
  }
  if (canary === null || shadow === null || problems.shares) return { body: null, problems };
  return { body: { canary_share: canary, shadow_share: shadow }, problems: null };
}

export type ReleaseField = "candidate" | "canary" | "shadow" | "shares" | "note";

export function checkRelease(draft: ReleaseDraft): Checked<ReleaseIn, ReleaseField> {
  const shares = checkShares(draft);
  const problems: Problems<ReleaseField> = { ...shares.problems };
  if (!draft.candidate) problems.candidate = "Choose the version to release.";
  if (draft.note.length > MAX_NOTE) problems.note = `Keep the note under ${MAX_NOTE} characters.`;
  if (shares.body === null || Object.keys(problems).length > 0) return { body: null, problems };
  return { body: { candidate: draft.candidate, ...shares.body, note: draft.note.trim() }, problems: null };
}

export interface ReplayDraft {
  version: string;
  user: string;
  name: string;
  /** datetime-local values */
  since: string;
  until: string;
  sourceVersion: string;
  limit: string;
}

export const EMPTY_REPLAY: ReplayDraft = { version: "", user: "", name: "", since: "", until: "", sourceVersion: "", limit: "100" };

export type ReplayField = "version" | "since" | "until" | "limit";

export function checkReplay(draft: ReplayDraft): Checked<ReplayIn, ReplayField> {
  const problems: Problems<ReplayField> = {};
  const since = localToIso(draft.since);
  const until = localToIso(draft.until);
  const limit = Number(draft.limit.trim());
  if (!draft.version) problems.version = "Choose the version to run them on.";
  if (draft.since && !since) problems.since = "The 'from' date is not a valid date and time.";
  if (draft.until && !until) problems.until = "The 'to' date is not a valid date and time.";
  if (since && until && since >= until) problems.until = "The 'to' date must be after the 'from' date.";
  if (!/^\d+$/.test(draft.limit.trim()) || limit < 1 || limit > MAX_REPLAY) {
    problems.limit = `Replay between 1 and ${MAX_REPLAY} predictions.`;
  }
  if (Object.keys(problems).length > 0) return { body: null, problems };
  const body: ReplayIn = { version: draft.version, limit };
  if (draft.user.trim()) body.user = draft.user.trim();
  if (draft.name.trim()) body.name = draft.name.trim();
  if (since) body.since = since;
  if (until) body.until = until;
  if (draft.sourceVersion) body.source_version = draft.sourceVersion;
  return { body, problems: null };
}
