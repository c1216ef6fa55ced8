import { describe, expect, it } from "vitest";
import { targetLink } from "./AuditTab";

const entry = (target_kind: "prediction" | "model" | "user" | "message" | null, target: string | null, target_name: string | null, target_exists: boolean) => ({
  target,
  target_kind,
  target_name,
  target_exists,
});

describe("an audit entry's target", () => {
  it("is named and linked while it exists", () => {
    expect(targetLink(entry("prediction", "a".repeat(32), "bus.jpg", true))).toEqual({ text: "bus.jpg", to: `/predictions/${"a".repeat(32)}` });
    expect(targetLink(entry("model", "object-detection", "Object detection (YOLOv8 nano)", true))).toEqual({
      text: "Object detection (YOLOv8 nano)",
      to: "/admin/catalog?model=object-detection",
    });
    expect(targetLink(entry("user", "u1", "ada@example.org", true))).toEqual({ text: "ada@example.org", to: "/admin/users?email=ada%40example.org" });
    expect(targetLink(entry("message", "m1", "Hello", true))).toEqual({ text: "“Hello”", to: "/admin/messages" });
  });

  it("is named without a link once it is gone", () => {
    expect(targetLink(entry("prediction", "b".repeat(32), "private.png", false))).toEqual({ text: "private.png (deleted)", to: null });
    expect(targetLink(entry("user", "u2", null, false))).toEqual({ text: "a deleted account", to: null });
    expect(targetLink(entry("model", "*", null, false))).toEqual({ text: "every model", to: null });
    expect(targetLink(entry(null, null, null, false))).toEqual({ text: "–", to: null });
  });
});
