import { useId, useRef, useState, type FormEvent } from "react";
import { ErrorMessage } from "@/components/ErrorMessage";
import { useCreateModel } from "../api";
import { EMPTY_MODEL, newModelBody, validateNewModel, type FieldErrors, type NewModelValues } from "../modelForm";
import { TASK_OF_FAMILY, type ManagedModel } from "../types";
import { ProblemSummary, SelectField, TextArea, TextField } from "./Field";
import { LimitFields } from "./LimitFields";

interface Props {
  families: string[];
  groups: string[];
  tasks: string[];
  onCreated: (model: ManagedModel) => void;
  onCancel: () => void;
}

/** POST /api/admin/models: a model with no version yet. */
export function NewModelForm({ families, groups, tasks, onCreated, onCancel }: Props) {
  const prefix = useId();
  const create = useCreateModel();
  const [values, setValues] = useState<NewModelValues>({ ...EMPTY_MODEL, group: groups.length === 1 ? groups[0] : "" });
  const [submitted, setSubmitted] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  const errors: FieldErrors<NewModelValues> = submitted ? validateNewModel(values) : {};
  const set = (key: keyof NewModelValues, value: string) => setValues((current) => ({ ...current, [key]: value }));

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(validateNewModel(values)).length) {
      requestAnimationFrame(() => summary.current?.focus());
      return;
    }
    try {
      onCreated(await create.mutateAsync(newModelBody(values)));
    } catch {
      /* shown below */
    }
  };

  const taskList = `${prefix}-tasks`;
  return (
    <form className="panel catalog-form" onSubmit={onSubmit} noValidate aria-labelledby={`${prefix}-heading`}>
      <h3 id={`${prefix}-heading`}>Add a model</h3>
      <p className="hint">The model has no weights yet: add a version next, and make it live once it has passed its check.</p>
      <ProblemSummary count={Object.keys(errors).length} id={`${prefix}-problems`} focusRef={summary} />
      <div className="catalog-grid">
        <TextField
          id={`${prefix}-id`}
          label="Name"
          value={values.id}
          onChange={(value) => set("id", value)}
          error={errors.id}
          hint="Used in addresses: lower-case letters, digits, '-' and '_'. It cannot be changed later."
          autoComplete="off"
          maxLength={64}
          required
        />
        <TextField
          id={`${prefix}-title`}
          label="Title"
          value={values.title}
          onChange={(value) => set("title", value)}
          error={errors.title}
          hint="What people see in the gallery."
          maxLength={120}
          required
        />
        <SelectField
          id={`${prefix}-family`}
          label="Family"
          value={values.family}
          onChange={(family) =>
            setValues((current) => ({ ...current, family, task: current.task || TASK_OF_FAMILY[family] || "" }))
          }
          options={[{ value: "", label: "Choose a family" }, ...families.map((family) => ({ value: family, label: family }))]}
          error={errors.family}
          hint="How its weights are read and what it returns."
        />
        <TextField
          id={`${prefix}-task`}
          label="Task"
          value={values.task}
          onChange={(value) => set("task", value)}
          error={errors.task}
          hint="e.g. image-classification, object-detection."
          list={taskList}
          maxLength={60}
          required
        />
        <datalist id={taskList}>
          {tasks.map((task) => (
            <option key={task} value={task} />
          ))}
        </datalist>
        {groups.length > 0 ? (
          <SelectField
            id={`${prefix}-group`}
            label="Worker group"
            value={values.group}
            onChange={(value) => set("group", value)}
            options={[{ value: "", label: "Choose a group" }, ...groups.map((group) => ({ value: group, label: group }))]}
            error={errors.group}
            hint="The workers that run it."
          />
        ) : (
          <TextField
            id={`${prefix}-group`}
            label="Worker group"
            value={values.group}
            onChange={(value) => set("group", value)}
            error={errors.group}
            hint="The workers that run it, as named in the server's settings."
            required
          />
        )}
      </div>
      <TextArea
        id={`${prefix}-description`}
        label="Description (optional)"
        value={values.description}
        onChange={(value) => set("description", value)}
        error={errors.description}
        rows={3}
        maxLength={2000}
      />
      <LimitFields prefix={prefix} values={values} errors={errors} onChange={set} />
      {create.isError && <ErrorMessage error={create.error} />}
      <div className="button-row">
        <button type="submit" className="button primary" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add the model"}
        </button>
        <button type="button" className="button secondary" onClick={onCancel} disabled={create.isPending}>
          Cancel
        </button>
      </div>
    </form>
  );
}
