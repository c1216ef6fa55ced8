import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "@/api/errors";
import { uploadVersion } from "./upload";

/** Just enough of XMLHttpRequest: records the request, answers when told. */
class FakeXhr {
  static last: FakeXhr;
  method = "";
  url = "";
  body: unknown = null;
  status = 0;
  responseText = "";
  responseType = "";
  withCredentials = false;
  headers: Record<string, string> = {};
  upload: { onprogress: ((event: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  getResponseHeader() {
    return null;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.onabort?.();
  }
  answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

afterEach(() => vi.unstubAllGlobals());

describe("uploadVersion", () => {
  it("posts the form to the model's versions, reports progress and gives the new version", async () => {
    vi.stubGlobal("XMLHttpRequest", FakeXhr);
    const form = new FormData();
    const onProgress = vi.fn();
    const pending = uploadVersion({ model: "my model", form, onProgress });
    const xhr = FakeXhr.last;
    expect([xhr.method, xhr.url, xhr.body, xhr.withCredentials]).toEqual(["POST", "/api/admin/catalog/my%20model/versions", form, true]);
    xhr.upload.onprogress?.({ lengthComputable: true, loaded: 5, total: 10 });
    expect(onProgress).toHaveBeenCalledWith({ loaded: 5, total: 10 });
    xhr.answer(202, { id: "v1", state: "validating" });
    await expect(pending).resolves.toEqual({ id: "v1", state: "validating" });
  });

  it("turns a refusal into an ApiError with the server's sentence, and a cancel into an AbortError", async () => {
    vi.stubGlobal("XMLHttpRequest", FakeXhr);
    const refused = uploadVersion({ model: "pets", form: new FormData() });
    FakeXhr.last.answer(413, { detail: "the weights are larger than 2000 MB", code: "too_large" });
    await expect(refused).rejects.toEqual(expect.objectContaining({ status: 413, detail: "the weights are larger than 2000 MB" }));
    await expect(refused).rejects.toBeInstanceOf(ApiError);

    const controller = new AbortController();
    const cancelled = uploadVersion({ model: "pets", form: new FormData(), signal: controller.signal });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ name: "AbortError" });
  });
});
