import fs from "node:fs";
import path from "node:path";
import js from "@eslint/js";
import globals from "globals";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

// Import boundaries (as in bulletproof-react): shared code (src/components, lib, api, config,
// testing) imports no feature, and a feature imports no other feature; src/app composes them.
// Within shared code, src/api (the client, the calls, the schema's types) and src/lib (plain
// helpers) do not import each other.
const FEATURES_DIR = path.join(import.meta.dirname, "src", "features");
const SHARED = ["components", "lib", "api", "config", "testing"];

const noImports = (patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

const notFeatures = {
  regex: "(^|/)features(/|$)",
  message: "Shared code may not import a feature: move what it needs out of the feature, or compose in src/app.",
};
const SHARED_LIMITS = {
  lib: [
    {
      regex: "^(@/|(\\.\\./)+)api(/|$)",
      message: "src/lib holds helpers that know nothing of the API: API code belongs in src/api.",
    },
  ],
  api: [
    {
      regex: "^(@/|(\\.\\./)+)lib(/|$)",
      message: "src/api may not import src/lib: keep what both need in one of them.",
    },
  ],
};

const sharedBoundaries = SHARED.map((dir) => ({
  files: [`src/${dir}/**/*.{ts,tsx}`],
  rules: noImports([notFeatures, ...(SHARED_LIMITS[dir] ?? [])]),
}));

// A relative import can leave a feature without naming "features" ("../../gallery/x"), so
// each folder of a feature gets its own block, limiting how far up "../" may climb.
function featureBoundaries(feature) {
  const root = path.join(FEATURES_DIR, feature);
  const folders = [
    "",
    ...fs
      .readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/")),
  ];
  return folders.map((folder) => {
    const depth = folder === "" ? 0 : folder.split("/").length;
    return {
      files: [`src/features/${[feature, folder].filter(Boolean).join("/")}/*.{ts,tsx}`],
      rules: noImports([
        {
          regex: `(^|/)features/(?!${feature}(/|$))`,
          message: `The ${feature} feature may not import another feature: move what both need to src/components, src/lib or src/api.`,
        },
        {
          regex: `^(\\.\\./){${depth + 1}}`,
          message: `A relative import may not leave the ${feature} feature: import shared code with "@/".`,
        },
      ]),
    };
  });
}

const features = fs
  .readdirSync(FEATURES_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

export default tseslint.config(
  { ignores: ["dist", "node_modules", "src/api/schema.d.ts"] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ["**/*.{ts,tsx}"],
    languageOptions: { ecmaVersion: 2022, globals: globals.browser },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  ...sharedBoundaries,
  ...features.flatMap(featureBoundaries),
  {
    files: ["scripts/**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
);
