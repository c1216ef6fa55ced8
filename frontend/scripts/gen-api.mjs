// Regenerates src/api/schema.d.ts from the backend's OpenAPI schema.
//   npm run gen:api                          from ./openapi.json (no server needed)
//   npm run gen:api -- --from http://127.0.0.1:8000
//                                            fetch /openapi.json from a running backend,
//                                            save it to ./openapi.json, then generate
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const SCHEMA_JSON = path.join(root, "openapi.json");
export const SCHEMA_TS = path.join(root, "src", "api", "schema.d.ts");

/** The TypeScript text for an OpenAPI document (an object). */
export async function generateTypes(document) {
  const ast = await openapiTS(document, { alphabetize: false, exportType: false });
  return COMMENT_HEADER + astToString(ast);
}

async function main(argv) {
  const fromIndex = argv.indexOf("--from");
  let document;
  if (fromIndex >= 0) {
    const base = argv[fromIndex + 1];
    if (!base) throw new Error("--from needs the backend's address, e.g. http://127.0.0.1:8000");
    const url = new URL("/openapi.json", base);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    document = await response.json();
    await writeFile(SCHEMA_JSON, JSON.stringify(document, null, 2) + "\n");
    console.log(`saved ${path.relative(process.cwd(), SCHEMA_JSON)} from ${url}`);
  } else {
    document = JSON.parse(await readFile(SCHEMA_JSON, "utf8"));
  }
  await writeFile(SCHEMA_TS, await generateTypes(document));
  console.log(`wrote ${path.relative(process.cwd(), SCHEMA_TS)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error.message ?? error);
    process.exit(1);
  });
}
