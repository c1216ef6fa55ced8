import { useId, useRef, useState, type FormEvent } from "react";
import { ErrorMessage } from "@/components/ErrorMessage";
import { useEditModel } from "../api";
import { editValuesOf, modelChanges, validateEditModel, type EditModelValues, type FieldErrors } from "../modelForm";
import type { ManagedModel } from "../types";
import { CheckField, ProblemSummary, TextArea, TextField } from "./Field";
import { LimitFields } from "./LimitFields";

/** PATCH /api/admin/models/{name}: title, description, enabled, limits (only what changed). */
export function EditModelForm({ model, onDone }: { model: ManagedModel; onDone: (saved: boolean) => void }) {
  const prefix = useId();
  const edit = useEditModel(model.id);
  const [values, setValues] = useState<EditModelValues>(() => editValuesOf(model));
  const [submitted, setSubmitted] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  const errors: FieldErrors<EditModelValues> = submitted ? validateEditModel(values) : {};
  const set = (key: keyof EditModelValues, value: string) => setValues((current) => ({ ...current, [key]: value }));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(validateEditModel(values)).length) {
      requestAnimationFrame(() => summary.current?.focus());
      return;
    }
    const changes = modelChanges(model, values);
    if (Object.keys(changes).length === 0) return onDone(false);
    try {
      await edit.mutateAsync(changes);
      onDone(true);
    } catch {
      /* shown below */
    }
  };

  return (
    <form className="panel catalog-form" onSubmit={onSubmit} noValidate aria-labelledby={`${prefix}-heading`}>
      <h4 id={`${prefix}-heading`}>Edit {model.title}</h4>
      {model.from_file && (
        <p className="hint">This model comes from models.toml: a change made here is replaced when that file's entry changes.</p>
      )}
      <ProblemSummary count={Object.keys(errors).length} id={`${prefix}-problems`} focusRef={summary} />
      <TextField
        id={`${prefix}-title`}
        label="Title"
        value={values.title}
        onChange={(value) => set("title", value)}
        error={errors.title}
        maxLength={120}
        required
      />
      <TextArea
        id={`${prefix}-description`}
        label="Description"
        value={values.description}
        onChange={(value) => set("description", value)}
        error={errors.description}
        rows={3}
        maxLength={2000}
      />
      <CheckField
        id={`${prefix}-enabled`}
        label="Shown in the gallery and takes predictions"
        checked={values.enabled}
        onChange={(enabled) => setValues((current) => ({ ...current, enabled }))}
        hint="Untick to take it out of service without deleting anything."
      />
      <LimitFields prefix={prefix} values={values} errors={errors} onChange={set} />
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
