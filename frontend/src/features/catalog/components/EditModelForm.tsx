import type { FormEvent } from "react";
import { ErrorMessage } from "@/components/ErrorMessage";
import { useEditModel } from "../api";
import { editValuesOf, modelChanges, validateEditModel } from "../modelForm";
import type { ManagedModel } from "../types";
import { CheckField, FormButtons, ProblemSummary, TextArea, TextField } from "./Field";
import { LimitFields } from "./LimitFields";
import { useCatalogForm } from "./useCatalogForm";

/** PATCH /api/admin/catalog/{name}: title, description, enabled, limits (only what changed). */
export function EditModelForm({ model, onDone }: { model: ManagedModel; onDone: (saved: boolean) => void }) {
  const edit = useEditModel(model.id);
  const { prefix, values, change, field, submit, problemSummary } = useCatalogForm(() => editValuesOf(model), validateEditModel);

  const onSubmit = (event: FormEvent) =>
    submit(event, async () => {
      const changes = modelChanges(model, values);
      if (Object.keys(changes).length === 0) return onDone(false);
      await edit.mutateAsync(changes);
      onDone(true);
    });

  return (
    <form className="panel catalog-form" onSubmit={onSubmit} noValidate aria-labelledby={`${prefix}-heading`}>
      <h4 id={`${prefix}-heading`}>Edit {model.title}</h4>
      {model.from_file && (
        <p className="hint">This model comes from models.toml: a change made here is replaced when that file's entry changes.</p>
      )}
      <ProblemSummary {...problemSummary} />
      <TextField {...field("title")} label="Title" maxLength={120} required />
      <TextArea {...field("description")} label="Description" rows={3} maxLength={2000} />
      <CheckField
        id={`${prefix}-enabled`}
        label="Shown in the gallery and takes predictions"
        checked={values.enabled}
        onChange={(enabled) => change({ enabled })}
        hint="Untick to take it out of service without deleting anything."
      />
      <LimitFields field={field} />
      {edit.isError && <ErrorMessage error={edit.error} />}
      <FormButtons busy={edit.isPending} label="Save" busyLabel="Saving…" onCancel={() => onDone(false)} />
    </form>
  );
}
