import { describe, expect, it } from "vitest";
import { downloadUrl, mainDownload } from "./predictions";

const art = (name: string, role: string) => ({ name, role, media_type: "application/octet-stream", size: 1, deferred: false, url: `/f/${name}` });

describe("mainDownload", () => {
  it("prefers the archive, then the annotated file, then the mask, then the first file", () => {
    const all = [art("data.json", "data"), art("skin_mask.nii.gz", "mask"), art("annotated.jpg", "annotated"), art("results.zip", "archive")];
    expect(mainDownload({ artifacts: all })?.name).toBe("results.zip");
    expect(mainDownload({ artifacts: all.slice(0, 3) })?.name).toBe("annotated.jpg");
    expect(mainDownload({ artifacts: all.slice(0, 2) })?.name).toBe("skin_mask.nii.gz");
    expect(mainDownload({ artifacts: all.slice(0, 1) })?.name).toBe("data.json");
    expect(mainDownload({ artifacts: [] })).toBeUndefined();
  });
});

describe("downloadUrl", () => {
  it("adds download=true to the query", () => {
    expect(downloadUrl("/f/a.jpg")).toBe("/f/a.jpg?download=true");
    expect(downloadUrl("/f/a.jpg?v=1")).toBe("/f/a.jpg?v=1&download=true");
  });
});
