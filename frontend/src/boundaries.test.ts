// The import boundaries of eslint.config.js: shared code imports no feature, a feature no
// other feature, src/api and src/lib not each other, and src/app anything.
import fs from "node:fs";
import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: process.cwd() });

async function restricted(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport {};\n`, { filePath });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => source.split("\n")[m.line - 1]);
}

describe("import boundaries", () => {
  it("keep features out of shared code", async () => {
    const source = ['import "@/features/admin/filters";', 'import "../features/admin/filters";', 'import "@/lib/format";'].join("\n");
    expect(await restricted("src/components/Probe.tsx", source)).toEqual(source.split("\n").slice(0, 2));
    expect(await restricted("src/api/Probe.ts", 'import "@/features/admin";')).toHaveLength(1);
  }, 30_000);

  it("keep a feature out of another one, however it is imported", async () => {
    const source = [
      'import "@/features/gallery/components/TaskIcon";',
      'import "../../gallery/components/TaskIcon";',
      'import "@/features/models/validation";',
      'import "../validation";',
      'import "@/components/Spinner";',
    ].join("\n");
    expect(await restricted("src/features/models/components/Probe.tsx", source)).toEqual(source.split("\n").slice(0, 2));
    expect(await restricted("src/features/predictions/components/results/Probe.tsx", 'import "../../../admin/filters";\nimport "../../hooks/jobEvents";')).toEqual([
      'import "../../../admin/filters";',
    ]);
  }, 30_000);

  it("keep src/api and src/lib from importing each other, however it is imported", async () => {
    const fromLib = ['import "@/api/client";', 'import "../api/types";', 'import "@/config/paths";', 'import "./format";', 'import "openapi-fetch";'].join("\n");
    expect(await restricted("src/lib/Probe.ts", fromLib)).toEqual(fromLib.split("\n").slice(0, 2));
    const fromApi = ['import "@/lib/format";', 'import "../lib/format";', 'import "./client";', 'import "@/config/paths";'].join("\n");
    expect(await restricted("src/api/Probe.ts", fromApi)).toEqual(fromApi.split("\n").slice(0, 2));
    // the rest of shared code may use both
    expect(await restricted("src/components/Probe.tsx", 'import "@/api/predictions";\nimport "@/lib/format";')).toEqual([]);
  }, 30_000);

  it("let the app compose the features", async () => {
    expect(await restricted("src/app/Probe.tsx", 'import "@/features/admin";\nimport "../features/gallery/components/GalleryPage";')).toEqual([]);
  }, 30_000);

  it("keep in src/api only what more than one part of the app uses (a feature's own calls live in the feature)", () => {
    const src = path.join(process.cwd(), "src");
    const files = fs
      .readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((file) => /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file))
      .map((file) => file.split(path.sep).join("/"));
    // who imports each module of src/api: a feature, src/app, src/components... or src/api itself
    const users = new Map<string, Set<string>>();
    for (const file of files) {
      const owner = file.startsWith("features/") ? file.split("/").slice(0, 2).join("/") : file.split("/")[0];
      const text = fs.readFileSync(path.join(src, file), "utf8");
      for (const [, spec] of text.matchAll(/from "([^"]+)"/g)) {
        const resolved = spec.startsWith("@/") ? spec.slice(2) : spec.startsWith(".") ? path.posix.join(path.posix.dirname(file), spec) : null;
        if (!resolved?.startsWith("api/")) continue;
        const module = resolved.replace(/\.tsx?$/, "");
        users.set(module, (users.get(module) ?? new Set()).add(owner));
      }
    }
    const featureOnly = [...users].filter(([, by]) => by.size === 1 && [...by][0].startsWith("features/"));
    expect(featureOnly.map(([module, by]) => `${module} (only ${[...by][0]})`)).toEqual([]);
    expect(users.size).toBeGreaterThan(5); // the scan found the imports
  });
});
