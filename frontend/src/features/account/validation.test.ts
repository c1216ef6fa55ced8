import { describe, expect, it } from "vitest";
import { checkNewPassword, describeAgent } from "./validation";

describe("account validation", () => {
  it("wants a long enough new password, typed the same twice", () => {
    expect(checkNewPassword("short", "short")).toEqual({ password: "Use at least 10 characters." });
    expect(checkNewPassword("a long password", "a long passwort")).toEqual({ again: "The two passwords differ; type the new one again." });
    expect(checkNewPassword("a long password", "a long password")).toEqual({});
  });

  it("names a session's browser", () => {
    const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
    const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
    const edge = `${chrome} Edg/126.0`;
    const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    expect(describeAgent(firefox)).toBe("Firefox on Linux");
    expect(describeAgent(chrome)).toBe("Chrome on Windows");
    expect(describeAgent(edge)).toBe("Edge on Windows");
    expect(describeAgent(iphone)).toBe("Safari on iOS");
    expect(describeAgent("python-httpx/0.28.1")).toBe("Python (httpx)");
    expect(describeAgent(null)).toBe("Unknown browser");
  });
});
