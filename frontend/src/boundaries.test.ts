// The import boundaries of eslint.config.js: shared code imports no feature, a feature no
// other feature, and src/app anything.
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

  it("let the app compose the features", async () => {
    expect(await restricted("src/app/Probe.tsx", 'import "@/features/admin";\nimport "../features/gallery/components/GalleryPage";')).toEqual([]);
  }, 30_000);
});
