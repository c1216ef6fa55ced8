import { useId, useRef, useState, type FormEvent } from "react";
import { ApiError } from "@/api/errors";
import { ErrorMessage } from "@/components/ErrorMessage";
import { useEditVersion } from "../api";
import type { ManagedModel, ModelVersion } from "../types";
import {
  editVersionValuesOf,
  fieldOfServerError,
  validateEditVersion,
  versionChanges,
  type OptionValues,
  type VersionErrors,
  type VersionExtras,
} from "../versionForm";
import { ProblemSummary } from "./Field";
import { ExtraFields, OptionFields } from "./VersionFields";

type Values = OptionValues & VersionExtras;

/** PATCH .../versions/{id}: labels, preprocessing, defaults, card, note (new weights are a new version). */
export function EditVersionForm({ model, version, onDone }: { model: ManagedModel; version: ModelVersion; onDone: (saved: boolean) => void }) {
  const prefix = useId();
  const edit = useEditVersion(model.id);
  const [values, setValues] = useState<Values>(() => editVersionValuesOf(version));
  const [submitted, setSubmitted] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  const errors: VersionErrors = submitted ? validateEditVersion(values) : {};
  const serverField = edit.error instanceof ApiError && edit.error.status >= 400 && edit.error.status < 500 ? fieldOfServerError(edit.error.detail) : null;
  if (serverField && !errors[serverField] && edit.error instanceof ApiError) errors[serverField] = edit.error.detail;
  const change = (changes: Partial<Values>) => {
    setValues((current) => ({ ...current, ...changes }));
    if (edit.isError) edit.reset();
  };

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(validateEditVersion(values)).length) {
      requestAnimationFrame(() => summary.current?.focus());
      return;
    }
    const changes = versionChanges(version, values);
    if (Object.keys(changes).length === 0) return onDone(false);
    try {
      await edit.mutateAsync({ id: version.id, body: changes });
      onDone(true);
    } catch {
      /* shown below */
    }
  };

  return (
    <form className="panel catalog-form" onSubmit={onSubmit} noValidate aria-labelledby={`${prefix}-heading`}>
      <h5 id={`${prefix}-heading`}>Edit version {version.number}</h5>
      {version.state === "live" && <p className="hint">This version is live: new predictions use the changes at once.</p>}
      <ProblemSummary count={submitted ? Object.keys(validateEditVersion(values)).length : 0} id={`${prefix}-problems`} focusRef={summary} />
      <fieldset disabled={edit.isPending} className="catalog-fieldset">
        <OptionFields prefix={prefix} family={model.family} values={values} errors={errors} onChange={change} />
        <ExtraFields prefix={prefix} values={values} errors={errors} onChange={change} open />
      </fieldset>
      {edit.isError && <ErrorMessage error={edit.error} />}
      <div className="button-row">
        <button type="submit" className="button primary" disabled={edit.isPending}>
          {edit.isPending ? "Saving…" : "Save"}
        </button>
        <button type="button" className="button secondary" onClick={() => onDone(false)} disabled={edit.isPending}>
          Cancel
        </button>
      </div>
    </form>
  );
}
