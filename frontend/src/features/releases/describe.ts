// Releases, replays and versions in words.
import { countOf, formatDateTime, formatNumber, formatPercent } from "@/lib/format";
import type { ManagedModel, ModelVersion, Release, Replay } from "./types";

export const RELEASE_STATES: Record<Release["state"], string> = {
  active: "Active",
  promoted: "Promoted",
  rolled_back: "Rolled back",
};

export const REPLAY_STATES: Record<Replay["state"], string> = {
  running: "Running",
  done: "Done",
  cancelled: "Cancelled",
};

export function liveVersion(model: ManagedModel): ModelVersion | undefined {
  return model.versions.find((version) => version.id === model.live_version);
}

/** The versions a release can try: validated, and not the live one; newest first. */
export function releasable(model: ManagedModel): ModelVersion[] {
  return model.versions
    .filter((version) => version.id !== model.live_version && (version.state === "ready" || version.state === "retired"))
    .sort((a, b) => b.number - a.number);
}

/** The versions a replay can run on (the live one too), newest first. */
export function runnable(model: ManagedModel): ModelVersion[] {
  return model.versions
    .filter((version) => version.state === "ready" || version.state === "retired" || version.state === "live")
    .sort((a, b) => b.number - a.number);
}

export function versionLabel(version: ModelVersion): string {
  return `Version ${version.number}${version.state === "live" ? " (live)" : ""}${version.note ? `: ${version.note}` : ""}`;
}

/** A release's shadow copies not made because the background lane was full, in words;
 * null when there were none (or it is a replay's comparison). */
export function shadowSkippedText(skipped: number | null | undefined): string | null {
  return skipped ? `${countOf(skipped, "shadow copy", "shadow copies")} skipped: the background lane was full` : null;
}

export function sharesText(release: Pick<Release, "canary_share" | "shadow_share">): string {
  return `canary ${formatPercent(release.canary_share)}, shadow ${formatPercent(release.shadow_share)}`;
}

/** How far a replay is: its ended jobs of those it will run (chosen less skipped). */
export function replayProgress(replay: Replay): { ended: number; planned: number; fraction: number } {
  const { succeeded = 0, failed = 0, cancelled = 0 } = replay.progress;
  const ended = succeeded + failed + cancelled;
  const planned = Math.max(replay.chosen - replay.skipped, replay.total, ended);
  return { ended, planned, fraction: planned > 0 ? ended / planned : 1 };
}

export function replayCounts(replay: Replay): string {
  const { succeeded = 0, failed = 0, queued = 0, running = 0, cancelled = 0 } = replay.progress;
  const { ended, planned } = replayProgress(replay);
  const parts = [`${formatNumber(succeeded)} succeeded`];
  if (failed) parts.push(`${formatNumber(failed)} failed`);
  if (cancelled) parts.push(`${formatNumber(cancelled)} cancelled`);
  if (running) parts.push(`${formatNumber(running)} running`);
  if (queued) parts.push(`${formatNumber(queued)} waiting`);
  const skipped = replay.skipped ? `; ${countOf(replay.skipped, "prediction")} skipped (files gone)` : "";
  return `${formatNumber(ended)} of ${formatNumber(planned)} done (${parts.join(", ")})${skipped}`;
}

const FILTER_NAMES: Record<string, string> = {
  user: "user",
  name: "file name",
  since: "from",
  until: "to",
  version: "made by version",
};

/** The filters that chose a replay's set, in words ("all predictions" without any). */
export function filtersText(replay: Replay, versions: ModelVersion[]): string {
  const parts = Object.entries(replay.filters)
    .filter(([key, value]) => value !== null && value !== "" && key in FILTER_NAMES)
    .map(([key, value]) => {
      if (key === "version") return `${FILTER_NAMES[key]} ${versions.find((v) => v.id === value)?.number ?? value}`;
      if (key === "since" || key === "until") return `${FILTER_NAMES[key]} ${formatDateTime(String(value))}`;
      return `${FILTER_NAMES[key]} contains “${value}”`;
    });
  return parts.length ? parts.join(", ") : "the latest predictions";
}
