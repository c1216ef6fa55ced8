import type { FormEvent } from "react";
import { ErrorMessage } from "@/components/ErrorMessage";
import { useEditVersion } from "../api";
import type { ManagedModel, ModelVersion } from "../types";
import { editVersionValuesOf, validateEditVersion, versionChanges, withServerError } from "../versionForm";
import { FormButtons, ProblemSummary } from "./Field";
import { useCatalogForm } from "./useCatalogForm";
import { ExtraFields, OptionFields } from "./VersionFields";

/** PATCH .../versions/{id}: labels, preprocessing, defaults, card, note (new weights are a new version). */
export function EditVersionForm({ model, version, onDone }: { model: ManagedModel; version: ModelVersion; onDone: (saved: boolean) => void }) {
  const edit = useEditVersion(model.id);
  const form = useCatalogForm(() => editVersionValuesOf(version), validateEditVersion, () => {
    if (edit.isError) edit.reset();
  });
  const { prefix, values, change } = form;
  const errors = withServerError(form.errors, edit.error);

  const onSubmit = (event: FormEvent) =>
    form.submit(event, async () => {
      const changes = versionChanges(version, values);
      if (Object.keys(changes).length === 0) return onDone(false);
      await edit.mutateAsync({ id: version.id, body: changes });
      onDone(true);
    });

  return (
    <form className="panel catalog-form" onSubmit={onSubmit} noValidate aria-labelledby={`${prefix}-heading`}>
      <h5 id={`${prefix}-heading`}>Edit version {version.number}</h5>
      {version.state === "live" && <p className="hint">This version is live: new predictions use the changes at once.</p>}
      <ProblemSummary {...form.problemSummary} />
      <fieldset disabled={edit.isPending} className="catalog-fieldset">
        <OptionFields prefix={prefix} family={model.family} values={values} errors={errors} onChange={change} />
        <ExtraFields prefix={prefix} values={values} errors={errors} onChange={change} open />
      </fieldset>
      {edit.isError && <ErrorMessage error={edit.error} />}
      <FormButtons busy={edit.isPending} label="Save" busyLabel="Saving…" onCancel={() => onDone(false)} />
    </form>
  );
}
