import { describe, expect, it } from "vitest";
import { checkRelease, checkReplay, checkShares, EMPTY_REPLAY, percentText, shareOf } from "./forms";

describe("shares", () => {
  it("reads percentages from 0 to 100 as shares", () => {
    expect(shareOf("50")).toBe(0.5);
    expect(shareOf(" 12.5 % ")).toBe(0.125);
    expect(shareOf("7,5")).toBe(0.075);
    expect(shareOf("0")).toBe(0);
    expect(shareOf("100")).toBe(1);
    for (const bad of ["", "101", "-5", "half", "1e2"]) expect(shareOf(bad)).toBeNull();
    expect(percentText(0.125)).toBe("12.5");
  });

  it("refuses a share out of range, and a release that would run nothing", () => {
    expect(checkShares({ canary: "150", shadow: "0" }).problems).toEqual({
      canary: "Enter the canary share as a percentage from 0 to 100.",
    });
    expect(checkShares({ canary: "0", shadow: "0" }).problems?.shares).toMatch(/would run nothing/);
    expect(checkShares({ canary: "0", shadow: "100" })).toEqual({ body: { canary_share: 0, shadow_share: 1 }, problems: null });
  });
});

describe("checkRelease", () => {
  it("asks for a candidate and keeps the note short", () => {
    const { problems } = checkRelease({ candidate: "", canary: "10", shadow: "0", note: "x".repeat(2001) });
    expect(problems).toEqual({ candidate: "Choose the version to release.", note: "Keep the note under 2000 characters." });
  });

  it("builds the body the API takes", () => {
    expect(checkRelease({ candidate: "v2", canary: "50", shadow: "25", note: "  try it " }).body).toEqual({
      candidate: "v2",
      canary_share: 0.5,
      shadow_share: 0.25,
      note: "try it",
    });
  });
});

describe("checkReplay", () => {
  it("sends only the filters that are set", () => {
    expect(checkReplay({ ...EMPTY_REPLAY, version: "v2", name: " bus ", limit: "5", sourceVersion: "v1" }).body).toEqual({
      version: "v2",
      limit: 5,
      name: "bus",
      source_version: "v1",
    });
  });

  it("refuses a missing version, dates the wrong way round and a count out of range", () => {
    const { problems } = checkReplay({ ...EMPTY_REPLAY, since: "2025-03-02T10:00", until: "2025-03-01T10:00", limit: "1001" });
    expect(problems).toEqual({
      version: "Choose the version to run them on.",
      until: "The 'to' date must be after the 'from' date.",
      limit: "Replay between 1 and 1000 predictions.",
    });
    expect(checkReplay({ ...EMPTY_REPLAY, version: "v2", limit: "2.5" }).problems?.limit).toBeDefined();
  });
});
