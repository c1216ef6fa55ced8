import { describe, expect, it } from "vitest";
import { downloadUrl, mainOutput } from "./predictions";

const art = (name: string, role: string) => ({ name, role, media_type: "application/octet-stream", size: 1, deferred: false, url: `/f/${name}` });

describe("mainOutput", () => {
  const artifacts = [art("data.json", "data"), art("annotated.jpg", "annotated"), art("results.zip", "archive")];

  it("is the artifact the API names, whatever its role", () => {
    expect(mainOutput({ artifacts, main_output: "annotated.jpg", files_expired_at: null })?.url).toBe("/f/annotated.jpg");
    expect(mainOutput({ artifacts, main_output: "data.json", files_expired_at: null })?.name).toBe("data.json");
  });

  it("is none when the API names none, or the files have expired", () => {
    expect(mainOutput({ artifacts: [], main_output: null, files_expired_at: null })).toBeUndefined();
    expect(mainOutput({ artifacts, main_output: "results.zip", files_expired_at: "2025-02-01T00:00:00Z" })).toBeUndefined();
  });
});

describe("downloadUrl", () => {
  it("adds download=true to the query", () => {
    expect(downloadUrl("/f/a.jpg")).toBe("/f/a.jpg?download=true");
    expect(downloadUrl("/f/a.jpg?v=1")).toBe("/f/a.jpg?v=1&download=true");
  });
});
