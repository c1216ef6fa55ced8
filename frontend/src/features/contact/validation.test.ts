import { describe, expect, it } from "vitest";
import { CONTACT_LIMITS, normaliseContact, validateContact } from "./validation";

const ok = { name: "Ada", email: "ada@example.org", subject: "A question", message: "Hello, how does this work?" };

describe("contact form", () => {
  it("accepts a good message", () => {
    expect(validateContact(ok)).toEqual({});
  });

  it("mirrors the server's limits", () => {
    expect(CONTACT_LIMITS).toEqual({
      name: { min: 1, max: 100 },
      email: { max: 254 },
      subject: { min: 1, max: 150 },
      message: { min: 10, max: 5000 },
    });
  });

  it("requires every field, after trimming", () => {
    const errors = validateContact({ name: "  ", email: "", subject: " ", message: "   " });
    expect(errors).toEqual({
      name: "This field is required.",
      email: "This field is required.",
      subject: "This field is required.",
      message: "This field is required.",
    });
  });

  it("checks the lengths at both ends", () => {
    expect(validateContact({ ...ok, message: "too short" }).message).toBe("Please write at least 10 characters.");
    expect(validateContact({ ...ok, message: "x".repeat(10) }).message).toBeUndefined();
    expect(validateContact({ ...ok, message: "x".repeat(5000) }).message).toBeUndefined();
    expect(validateContact({ ...ok, message: "x".repeat(5001) }).message).toBe("Please keep this to at most 5000 characters.");
    expect(validateContact({ ...ok, name: "n".repeat(101) }).name).toBe("Please keep this to at most 100 characters.");
    expect(validateContact({ ...ok, subject: "s".repeat(151) }).subject).toBe("Please keep this to at most 150 characters.");
    expect(validateContact({ ...ok, email: `${"e".repeat(250)}@x.org` }).email).toMatch(/at most 254/);
  });

  it("counts characters as the server does (an emoji is one)", () => {
    expect(validateContact({ ...ok, name: "😀".repeat(100) }).name).toBeUndefined();
  });

  it("keeps the name and subject on one line (they become mail headers)", () => {
    expect(validateContact({ ...ok, subject: "Hi\nBcc: x@y.z" }).subject).toBe("Please keep this on a single line.");
    expect(validateContact({ ...ok, name: "Ada\u2028Lovelace" }).name).toBe("Please keep this on a single line.");
    expect(validateContact({ ...ok, name: "Ada\u0007" }).name).toBe("Please remove the control characters.");
  });

  it("allows line breaks and tabs in the message, but no other control characters", () => {
    expect(validateContact({ ...ok, message: "Line one\r\nline two\tend" }).message).toBeUndefined();
    expect(validateContact({ ...ok, message: "Hello there\u0000!" }).message).toMatch(/control characters/);
  });

  it("asks for a valid e-mail address", () => {
    expect(validateContact({ ...ok, email: "not-an-address" }).email).toMatch(/valid e-mail/);
    expect(validateContact({ ...ok, email: "a@b" }).email).toMatch(/valid e-mail/);
  });

  it("sends what it checked: trimmed, with plain newlines", () => {
    expect(normaliseContact({ name: " Ada ", email: " ada@example.org ", subject: " Hi ", message: " a\r\nb\rc " })).toEqual({
      name: "Ada",
      email: "ada@example.org",
      subject: "Hi",
      message: "a\nb\nc",
    });
  });
});
