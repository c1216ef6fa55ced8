import { describe, expect, it } from "vitest";
import { makeJob } from "@/testing/fixtures";
import { initialJobEvents, isNewer, jobEventsReducer, progressView, type JobEventsState } from "./jobEvents";

const run = (actions: Parameters<typeof jobEventsReducer>[1][], state: JobEventsState = initialJobEvents) =>
  actions.reduce(jobEventsReducer, state);

describe("job events reducer", () => {
  it("follows a job from queued to succeeded and closes", () => {
    const state = run([
      { type: "snapshot", job: makeJob() },
      { type: "connect" },
      { type: "open" },
      { type: "event", job: makeJob({ status: "running", progress: 0.2, message: "running the model" }) },
      { type: "event", job: makeJob({ status: "running", progress: 0.7 }) },
      { type: "event", job: makeJob({ status: "succeeded", progress: 1, result: { ok: true } }) },
    ]);
    expect(state.job?.status).toBe("succeeded");
    expect(state.job?.result).toEqual({ ok: true });
    expect(state.connection).toBe("closed");
    expect(state.events).toBe(3);
  });

  it("never moves progress backwards within a status", () => {
    const state = run([
      { type: "event", job: makeJob({ status: "running", progress: 0.6 }) },
      { type: "event", job: makeJob({ status: "running", progress: 0.4 }) },
    ]);
    expect(state.job?.progress).toBe(0.6);
  });

  it("does not let a late 'running' event undo the end", () => {
    const state = run([
      { type: "event", job: makeJob({ status: "failed", error: "boom" }) },
      { type: "event", job: makeJob({ status: "running", progress: 0.9 }) },
      { type: "snapshot", job: makeJob({ status: "queued" }) },
    ]);
    expect(state.job?.status).toBe("failed");
    expect(state.job?.error).toBe("boom");
  });

  it("does not let an old snapshot (a slow GET) undo newer events", () => {
    const state = run([
      { type: "event", job: makeJob({ status: "running", progress: 0.5 }) },
      { type: "snapshot", job: makeJob({ status: "queued", progress: 0 }) },
    ]);
    expect(state.job?.status).toBe("running");
  });

  it("moves from queued to running even when progress reads lower", () => {
    const state = run([
      { type: "snapshot", job: makeJob({ status: "queued", progress: 0.1 }) },
      { type: "event", job: makeJob({ status: "running", progress: 0 }) },
    ]);
    expect(state.job?.status).toBe("running");
  });

  it("reconnects on a passing error, fails when the stream is closed for good", () => {
    const base = run([{ type: "snapshot", job: makeJob({ status: "running" }) }, { type: "connect" }]);
    expect(jobEventsReducer(base, { type: "error", closed: false }).connection).toBe("reconnecting");
    expect(jobEventsReducer(base, { type: "error", closed: true }).connection).toBe("failed");
  });

  it("an error after the end is not a failure (the server closes the stream)", () => {
    const state = run([{ type: "event", job: makeJob({ status: "succeeded" }) }, { type: "error", closed: true }]);
    expect(state.connection).toBe("closed");
  });

  it("does not connect for a job that has already ended", () => {
    const state = run([{ type: "snapshot", job: makeJob({ status: "cancelled" }) }, { type: "connect" }]);
    expect(state.connection).toBe("closed");
  });

  it("replaces the job when another one is followed", () => {
    const state = run([
      { type: "event", job: makeJob({ status: "succeeded" }) },
      { type: "snapshot", job: makeJob({ id: "b".repeat(32), status: "queued" }) },
    ]);
    expect(state.job?.id).toBe("b".repeat(32));
  });

  it("compares jobs", () => {
    expect(isNewer(null, makeJob())).toBe(true);
    expect(isNewer(makeJob({ status: "running", progress: 0.5 }), makeJob({ status: "running", progress: 0.5 }))).toBe(true);
  });
});

describe("progressView", () => {
  it("gives the percentage and a sentence for screen readers", () => {
    expect(progressView(makeJob({ status: "running", progress: 0.456, message: "image 2 of 5" }))).toEqual({
      percent: 46,
      label: "Running 46%: image 2 of 5",
    });
    expect(progressView(makeJob({ status: "queued", message: "" })).label).toBe("Waiting in the queue");
    expect(progressView(makeJob({ status: "running", progress: 7 })).percent).toBe(100);
  });
});
