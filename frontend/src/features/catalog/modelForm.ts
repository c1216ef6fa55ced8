// The "Add a model" and "Edit the model" forms: their checks (the server's rules,
// backend/modelgallery/api/schemas/catalog.py and services/model_manager.py, so that a
// person sees them before sending) and the JSON bodies they send.
import type { ManagedModel, ModelEdit, NewModel } from "./types";

export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const RESERVED = new Set(["catalog", "reload"]);

export interface LimitValues {
  max_upload_mb: string;
  max_files: string;
  timeout_s: string;
  retention_days: string;
}

export interface NewModelValues extends LimitValues {
  id: string;
  title: string;
  description: string;
  task: string;
  family: string;
  group: string;
}

export interface EditModelValues extends LimitValues {
  title: string;
  description: string;
  enabled: boolean;
}

export type FieldErrors<T> = Partial<Record<keyof T, string>>;

export const EMPTY_MODEL: NewModelValues = {
  id: "",
  title: "",
  description: "",
  task: "",
  family: "",
  group: "",
  max_upload_mb: "50",
  max_files: "1",
  timeout_s: "",
  retention_days: "",
};

function number(value: string): number | null {
  const trimmed = value.trim();
  if (!trimmed) return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : Number.NaN;
}

function checkLimits(values: LimitValues): FieldErrors<LimitValues> {
  const errors: FieldErrors<LimitValues> = {};
  const upload = number(values.max_upload_mb);
  if (upload === null) errors.max_upload_mb = "Enter the largest upload, in MB.";
  else if (!(upload > 0)) errors.max_upload_mb = "Enter a number of MB above 0.";
  const files = number(values.max_files);
  if (files === null) errors.max_files = "Enter how many files one prediction may take.";
  else if (!Number.isInteger(files) || files < 1 || files > 500) errors.max_files = "Enter a whole number from 1 to 500.";
  const timeout = number(values.timeout_s);
  if (timeout !== null && !(timeout > 0)) errors.timeout_s = "Enter a number of seconds above 0, or leave it empty.";
  const retention = number(values.retention_days);
  if (retention !== null && !(retention >= 0)) errors.retention_days = "Enter 0 or more days, or leave it empty.";
  return errors;
}

function checkText(errors: Record<string, string>, key: string, value: string, label: string, max: number) {
  if (!value.trim()) errors[key] = `Enter ${label}.`;
  else if ([...value.trim()].length > max) errors[key] = `Keep ${label} to ${max} characters at most.`;
}

export function validateNewModel(values: NewModelValues): FieldErrors<NewModelValues> {
  const errors: Record<string, string> = { ...checkLimits(values) };
  const id = values.id.trim();
  if (!id) errors.id = "Enter a name.";
  else if (!NAME_PATTERN.test(id))
    errors.id = "Use lower-case letters, digits, '-' and '_' only (64 at most), starting with a letter or a digit.";
  else if (RESERVED.has(id)) errors.id = `"${id}" is a word the server uses in its addresses; choose another name.`;
  checkText(errors, "title", values.title, "a title", 120);
  if ([...values.description.trim()].length > 2000) errors.description = "Keep the description to 2000 characters at most.";
  checkText(errors, "task", values.task, "the task", 60);
  if (!values.family) errors.family = "Choose a family.";
  if (!values.group.trim()) errors.group = "Choose the worker group that runs it.";
  return errors as FieldErrors<NewModelValues>;
}

export function validateEditModel(values: EditModelValues): FieldErrors<EditModelValues> {
  const errors: Record<string, string> = { ...checkLimits(values) };
  checkText(errors, "title", values.title, "a title", 120);
  if ([...values.description.trim()].length > 2000) errors.description = "Keep the description to 2000 characters at most.";
  return errors as FieldErrors<EditModelValues>;
}

/** POST /api/admin/catalog: empty optional limits are left out (the server's defaults). */
export function newModelBody(values: NewModelValues): NewModel {
  const body: NewModel = {
    id: values.id.trim(),
    title: values.title.trim(),
    description: values.description.trim(),
    task: values.task.trim(),
    family: values.family,
    group: values.group.trim(),
    max_upload_mb: Number(values.max_upload_mb),
    max_files: Number(values.max_files),
  };
  const timeout = number(values.timeout_s);
  const retention = number(values.retention_days);
  if (timeout !== null) body.timeout_s = timeout;
  if (retention !== null) body.retention_days = retention;
  return body;
}

function shown(value: number | null): string {
  return value === null ? "" : String(value);
}

export function editValuesOf(model: ManagedModel): EditModelValues {
  return {
    title: model.title,
    description: model.description,
    enabled: model.enabled,
    max_upload_mb: shown(model.max_upload_mb),
    max_files: shown(model.max_files),
    timeout_s: shown(model.timeout_s),
    retention_days: shown(model.retention_days),
  };
}

/** PATCH /api/admin/catalog/{name}: only what changed (an emptied limit is sent as null). */
export function modelChanges(model: ManagedModel, values: EditModelValues): ModelEdit {
  const changes: ModelEdit = {};
  if (values.title.trim() !== model.title) changes.title = values.title.trim();
  if (values.description.trim() !== model.description) changes.description = values.description.trim();
  if (values.enabled !== model.enabled) changes.enabled = values.enabled;
  const upload = number(values.max_upload_mb);
  if (upload !== model.max_upload_mb) changes.max_upload_mb = upload;
  const files = number(values.max_files);
  if (files !== model.max_files) changes.max_files = files;
  const timeout = number(values.timeout_s);
  if (timeout !== model.timeout_s) changes.timeout_s = timeout;
  const retention = number(values.retention_days);
  if (retention !== model.retention_days) changes.retention_days = retention;
  return changes;
}
