// The state of a job as its server-sent events arrive. Pure, so the rules are tested:
// a terminal job never goes back to running, progress never moves backwards within a
// status, and a late or replayed event cannot undo a newer one.
import { isTerminal, type Job, type JobStatus } from "@/api/types";

export type Connection = "idle" | "connecting" | "open" | "reconnecting" | "closed" | "failed";

export interface JobEventsState {
  job: Job | null;
  connection: Connection;
  /** events received (for tests and debugging) */
  events: number;
}

export type JobEventsAction =
  | { type: "snapshot"; job: Job } // GET /api/predictions/{id} or the upload's answer
  | { type: "connect" }
  | { type: "open" }
  | { type: "event"; job: Job } // an SSE `job` event
  | { type: "parse-error" }
  | { type: "error"; closed: boolean } // the EventSource reported an error
  | { type: "close" };

export const initialJobEvents: JobEventsState = { job: null, connection: "idle", events: 0 };

const ORDER: Record<JobStatus, number> = { queued: 0, running: 1, succeeded: 2, failed: 2, cancelled: 2 };

/** Whether `next` is at least as new as `current` (never a step back). */
export function isNewer(current: Job | null, next: Job): boolean {
  if (!current || current.id !== next.id) return true;
  if (isTerminal(current.status)) return false; // the end is final
  const rank = ORDER[next.status] - ORDER[current.status];
  if (rank !== 0) return rank > 0;
  return next.progress >= current.progress;
}

export function jobEventsReducer(state: JobEventsState, action: JobEventsAction): JobEventsState {
  switch (action.type) {
    case "snapshot": {
      if (!isNewer(state.job, action.job)) return state;
      const ended = isTerminal(action.job.status);
      return { ...state, job: action.job, connection: ended ? "closed" : state.connection };
    }
    case "connect":
      if (state.job && isTerminal(state.job.status)) return { ...state, connection: "closed" };
      return { ...state, connection: "connecting" };
    case "open":
      return state.connection === "closed" ? state : { ...state, connection: "open" };
    case "event": {
      const events = state.events + 1;
      if (!isNewer(state.job, action.job)) return { ...state, events };
      const ended = isTerminal(action.job.status);
      return { job: action.job, connection: ended ? "closed" : "open", events };
    }
    case "parse-error":
      return state;
    case "error":
      if (state.connection === "closed") return state;
      if (state.job && isTerminal(state.job.status)) return { ...state, connection: "closed" };
      return { ...state, connection: action.closed ? "failed" : "reconnecting" };
    case "close":
      return { ...state, connection: "closed" };
  }
}

/** The progress bar's value 0..100 and the line read out to screen readers. */
export function progressView(job: Job): { percent: number; label: string } {
  const percent = Math.round(Math.min(1, Math.max(0, job.progress)) * 100);
  const words: Record<JobStatus, string> = {
    queued: "Waiting in the queue",
    running: "Running",
    succeeded: "Finished",
    failed: "Failed",
    cancelled: "Cancelled",
  };
  const message = job.message ? `: ${job.message}` : "";
  return { percent, label: `${words[job.status]}${job.status === "running" ? ` ${percent}%` : ""}${message}` };
}
