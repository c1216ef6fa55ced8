import { describe, expect, it } from "vitest";
import { ApiError, apiErrorFrom, describeError, parseRetryAfter } from "./errors";

describe("apiErrorFrom", () => {
  it("reads the backend's {detail, code} and Retry-After", () => {
    const error = apiErrorFrom(503, { detail: "The server is busy", code: "unavailable" }, "30");
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, detail: "The server is busy", code: "unavailable", retryAfter: 30 });
  });

  it("copes with FastAPI's list detail, plain text and HTML pages", () => {
    expect(apiErrorFrom(422, { detail: [{ msg: "field required" }, { msg: "too short" }] }).detail).toBe("field required; too short");
    expect(apiErrorFrom(502, "Bad gateway").detail).toBe("Bad gateway");
    expect(apiErrorFrom(502, "<html><body>nginx</body></html>").detail).toBe("The server answered with an error (502).");
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("12")).toBe(12);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    const inTen = new Date(Date.now() + 10_000).toUTCString();
    expect(parseRetryAfter(inTen)).toBeGreaterThanOrEqual(8);
  });
});

describe("describeError", () => {
  it("413: choose a smaller file, with the model's limit", () => {
    const d = describeError(new ApiError(413, "The file is too large: this model accepts up to 2 MB.", "too_large"), { uploadLimit: "2 MB" });
    expect(d.title).toBe("The file is too large");
    expect(d.action).toBe("Choose a smaller file (limit 2 MB).");
    expect(d.detail).toMatch(/up to 2 MB/);
  });

  it("415: what the model accepts", () => {
    const d = describeError(new ApiError(415, "'a.pdf': a PDF document is not an image", "unsupported_media"), { accepts: "images (JPEG, PNG)" });
    expect(d.action).toBe("Choose a file this model accepts: images (JPEG, PNG).");
  });

  it("503 with Retry-After: busy, try again in N seconds", () => {
    const d = describeError(new ApiError(503, "The server is busy", "unavailable", 20));
    expect(d.title).toBe("The server is busy");
    expect(d.action).toBe("Try again in 20 seconds.");
  });

  it("503 without Retry-After: unavailable, with the server's reason", () => {
    const d = describeError(new ApiError(503, "The model 'x' is unavailable: weights missing.", "unavailable"));
    expect(d.title).toBe("Not available right now");
    expect(d.detail).toMatch(/weights missing/);
  });

  it("507: out of storage space, try again later", () => {
    const d = describeError(new ApiError(507, "The server is out of storage space; please try again later or contact the administrator.", "insufficient_storage"));
    expect(d.title).toBe("The server is out of storage space");
    expect(d.detail).toMatch(/out of storage space/);
    expect(d.action).toMatch(/Try again later/);
  });

  it("401: log in", () => {
    const d = describeError(new ApiError(401, "log in to use the models on this server", "not_authenticated"));
    expect(d.login).toBe(true);
    expect(d.action).toMatch(/Log in/);
  });

  it("429: wait, for as long as the server says", () => {
    expect(describeError(new ApiError(429, "too many attempts", "too_many_requests", 1)).action).toBe("Please wait 1 second, then try again.");
    expect(describeError(new ApiError(429, "too many", "too_many_requests")).action).toMatch(/wait a little/);
  });

  it("network errors and plain exceptions", () => {
    expect(describeError(new ApiError(0, "The server could not be reached.", "network")).title).toBe("No connection to the server");
    const d = describeError(new Error("boom"));
    expect(d.detail).toBe("boom");
    expect(d.login).toBe(false);
  });

  it("500 keeps the server's sentence (with its request id)", () => {
    const d = describeError(new ApiError(500, "Something went wrong on the server. ... request id abc", "error"));
    expect(d.title).toBe("Server error");
    expect(d.detail).toMatch(/request id abc/);
  });
});
