interface Props {
  /** the select's id; its label points at it */
  id: string;
  value: string;
  onChange: (name: string) => void;
  models: readonly { name: string; title: string }[];
  /** a first choice with the value "" (e.g. every model), when there is one */
  anyLabel?: string;
}

/** The "Model" field of an admin tab's filters: one of the models, by title. */
export function ModelPicker({ id, value, onChange, models, anyLabel }: Props) {
  return (
    <div className="field">
      <label htmlFor={id}>Model</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {models.map((m) => (
          <option key={m.name} value={m.name}>
            {m.title}
          </option>
        ))}
      </select>
    </div>
  );
}
