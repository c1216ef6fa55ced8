// Fails when src/api/schema.d.ts was not regenerated after openapi.json changed:
// run `npm run gen:api` (or `npm run gen:api -- --from http://127.0.0.1:8000`).
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without type declarations
import { generateTypes, SCHEMA_JSON, SCHEMA_TS } from "../../scripts/gen-api.mjs";

describe("generated API types", () => {
  it("match openapi.json", async () => {
    const document = JSON.parse(await readFile(SCHEMA_JSON, "utf8"));
    const expected: string = await generateTypes(document);
    const actual = await readFile(SCHEMA_TS, "utf8");
    expect(actual === expected, "src/api/schema.d.ts is stale: run `npm run gen:api`").toBe(true);
  }, 30_000);

  it("cover every endpoint the UI calls", async () => {
    const document = JSON.parse(await readFile(SCHEMA_JSON, "utf8"));
    const used = [
      "/api/models",
      "/api/models/{name}",
      "/api/models/{name}/predictions",
      "/api/predictions",
      "/api/predictions/{job_id}",
      "/api/predictions/{job_id}/events",
      "/api/predictions/{job_id}/cancel",
      "/api/contact",
      "/api/auth/login",
      "/api/auth/signup",
      "/api/auth/logout",
      "/api/auth/me",
      "/api/auth/session",
      "/api/admin/predictions",
      "/api/admin/predictions/{job_id}",
      "/api/admin/stats",
      "/api/admin/models",
      "/api/admin/nodes",
      "/api/admin/models/reload",
      "/api/admin/models/{name}/{action}",
      "/api/admin/messages",
      "/api/admin/messages/{message_id}/retry",
      "/api/admin/audit",
      "/api/admin/users",
      "/api/admin/users/{user_id}",
    ];
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(used));
  });
});
