import type { FormEvent } from "react";
import { ErrorMessage } from "@/components/ErrorMessage";
import { useCreateModel } from "../api";
import { EMPTY_MODEL, newModelBody, validateNewModel } from "../modelForm";
import { TASK_OF_FAMILY, type ManagedModel } from "../types";
import { FormButtons, ProblemSummary, SelectField, TextArea, TextField } from "./Field";
import { LimitFields } from "./LimitFields";
import { useCatalogForm } from "./useCatalogForm";

interface Props {
  families: string[];
  groups: string[];
  tasks: string[];
  onCreated: (model: ManagedModel) => void;
  onCancel: () => void;
}

const choices = (none: string, names: string[]) => [{ value: "", label: none }, ...names.map((name) => ({ value: name, label: name }))];

/** POST /api/admin/catalog: a model with no version yet. */
export function NewModelForm({ families, groups, tasks, onCreated, onCancel }: Props) {
  const create = useCreateModel();
  const { prefix, values, change, field, submit, problemSummary } = useCatalogForm(
    { ...EMPTY_MODEL, group: groups.length === 1 ? groups[0] : "" },
    validateNewModel,
  );
  const onSubmit = (event: FormEvent) =>
    submit(event, async () => onCreated(await create.mutateAsync(newModelBody(values))));

  const taskList = `${prefix}-tasks`;
  return (
    <form className="panel catalog-form" onSubmit={onSubmit} noValidate aria-labelledby={`${prefix}-heading`}>
      <h3 id={`${prefix}-heading`}>Add a model</h3>
      <p className="hint">The model has no weights yet: add a version next, and make it live once it has passed its check.</p>
      <ProblemSummary {...problemSummary} />
      <div className="catalog-grid">
        <TextField
          {...field("id")}
          label="Name"
          hint="Used in addresses: lower-case letters, digits, '-' and '_'. It cannot be changed later."
          autoComplete="off"
          maxLength={64}
          required
        />
        <TextField {...field("title")} label="Title" hint="What people see in the gallery." maxLength={120} required />
        <SelectField
          {...field("family")}
          label="Family"
          onChange={(family) => change((current) => ({ family, task: current.task || TASK_OF_FAMILY[family] || "" }))}
          options={choices("Choose a family", families)}
          hint="How its weights are read and what it returns."
        />
        <TextField {...field("task")} label="Task" hint="e.g. image-classification, object-detection." list={taskList} maxLength={60} required />
        <datalist id={taskList}>
          {tasks.map((task) => (
            <option key={task} value={task} />
          ))}
        </datalist>
        {groups.length > 0 ? (
          <SelectField {...field("group")} label="Worker group" options={choices("Choose a group", groups)} hint="The workers that run it." />
        ) : (
          <TextField {...field("group")} label="Worker group" hint="The workers that run it, as named in the server's settings." required />
        )}
      </div>
      <TextArea {...field("description")} label="Description (optional)" rows={3} maxLength={2000} />
      <LimitFields field={field} />
      {create.isError && <ErrorMessage error={create.error} />}
      <FormButtons busy={create.isPending} label="Add the model" busyLabel="Adding…" onCancel={onCancel} />
    </form>
  );
}
