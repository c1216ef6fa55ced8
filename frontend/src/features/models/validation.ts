// Checks made in the browser before an upload: the server checks again (and sniffs the bytes),
// but a person learns at once that a file is too large or of the wrong type.
import type { ModelCard, Param } from "@/api/types";
import { formatMegabytes } from "@/lib/format";

const KIND_OF_TYPE = (mediaType: string): string | null => {
  if (mediaType.startsWith("image/")) return "image";
  if (mediaType.startsWith("video/")) return "video";
  if (mediaType === "application/zip" || mediaType === "application/x-zip-compressed") return "zip";
  if (mediaType.includes("nifti")) return "nifti";
  return null;
};

/** The `accept` attribute of the file input: the file name endings and media types the
 * model takes (both from GET /api/models). */
export function acceptAttribute(model: Pick<ModelCard, "accepts" | "extensions">): string {
  return [...model.extensions, ...model.accepts].join(",");
}

/** How many files one request may carry (the model's `max_files`). */
export function maxFiles(model: Pick<ModelCard, "max_files">): number {
  return Math.max(1, model.max_files);
}

export function hasAcceptedExtension(fileName: string, extensions: string[]): boolean {
  const lower = fileName.toLowerCase();
  return extensions.some((ext) => lower.endsWith(ext));
}

export interface FileProblem {
  file: string | null; // null: about the whole selection
  message: string;
}

/** Problems with the chosen files for this model; empty when they may be uploaded. */
export function validateFiles(files: File[], model: ModelCard): FileProblem[] {
  const problems: FileProblem[] = [];
  if (files.length === 0) return [{ file: null, message: "Choose a file to upload." }];
  const limit = maxFiles(model);
  if (files.length > limit) {
    problems.push({
      file: null,
      message: limit === 1 ? "This model takes one file at a time." : `This model takes at most ${limit} files at a time.`,
    });
  }
  for (const file of files) {
    if (file.size === 0) {
      problems.push({ file: file.name, message: `"${file.name}" is empty.` });
      continue;
    }
    const byName = hasAcceptedExtension(file.name, model.extensions);
    // the browser's guess (from the extension, often empty): used only when the name has
    // no ending we know, e.g. a webcam capture or a file named without an extension
    const kind = file.type ? KIND_OF_TYPE(file.type) : null;
    const byType = file.type !== "" && (model.accepts.includes(file.type) || (kind !== null && model.kinds.includes(kind)));
    if (!byName && !byType) {
      problems.push({
        file: file.name,
        message: `"${file.name}" is not a file this model reads. It accepts ${model.takes}.`,
      });
    }
  }
  const total = files.reduce((sum, file) => sum + file.size, 0);
  if (total > model.max_upload_bytes) {
    problems.push({
      file: null,
      message:
        files.length > 1
          ? `Together the files are too large: choose smaller files (limit ${formatMegabytes(model.max_upload_bytes)} in all).`
          : `The file is too large: choose a smaller file (limit ${formatMegabytes(model.max_upload_bytes)}).`,
    });
  }
  return problems;
}

/** Form values of the parameters, as text (what the inputs hold). */
export type ParamValues = Record<string, string>;

export function defaultParamValues(params: Record<string, Param>): ParamValues {
  const values: ParamValues = {};
  for (const [key, param] of Object.entries(params)) {
    const value = param.default;
    if (value === null || value === undefined) values[key] = "";
    else if (Array.isArray(value)) values[key] = value.join(",");
    else values[key] = String(value);
  }
  return values;
}

/** A message for one parameter's value, or null when it is fine. Empty means "default". */
export function validateParam(param: Param, raw: string): string | null {
  const value = raw.trim();
  if (value === "") return null;
  switch (param.type) {
    case "int":
    case "float": {
      const n = Number(value);
      if (!Number.isFinite(n)) return "Enter a number.";
      if (param.type === "int" && !Number.isInteger(n)) return "Enter a whole number.";
      if (param.min !== null && param.min !== undefined && n < param.min) return `Enter at least ${param.min}.`;
      if (param.max !== null && param.max !== undefined && n > param.max) return `Enter at most ${param.max}.`;
      return null;
    }
    case "bool":
      return ["true", "false"].includes(value.toLowerCase()) ? null : "Choose yes or no.";
    case "str":
      if (param.choices && !param.choices.includes(value)) return `Choose one of: ${param.choices.join(", ")}.`;
      return null;
    case "list": {
      if (!param.choices) return null;
      const items = value.split(",").map((item) => item.trim()).filter(Boolean);
      const unknown = items.filter((item) => !param.choices!.includes(item));
      if (unknown.length) return `Unknown: ${unknown.join(", ")}. Choose from: ${param.choices.join(", ")}.`;
      return null;
    }
    default:
      return null;
  }
}

export function validateParams(params: Record<string, Param>, values: ParamValues): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [key, param] of Object.entries(params)) {
    const problem = validateParam(param, values[key] ?? "");
    if (problem) errors[key] = problem;
  }
  return errors;
}

/** The form fields sent with the upload: trimmed; lists without spaces. */
export function paramFields(params: Record<string, Param>, values: ParamValues): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const key of Object.keys(params)) {
    let value = (values[key] ?? "").trim();
    if (params[key].type === "list") value = value.split(",").map((s) => s.trim()).filter(Boolean).join(",");
    if (params[key].type === "bool") value = value.toLowerCase();
    if (value !== "") fields[key] = value;
  }
  return fields;
}
