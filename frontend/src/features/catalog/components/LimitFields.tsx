import type { FieldErrors, LimitValues } from "../modelForm";
import { TextField } from "./Field";

interface Props {
  prefix: string;
  values: LimitValues;
  errors: FieldErrors<LimitValues>;
  onChange: (key: keyof LimitValues, value: string) => void;
}

/** What bounds one prediction of the model: upload size, files, time, how long files are kept. */
export function LimitFields({ prefix, values, errors, onChange }: Props) {
  return (
    <fieldset className="catalog-grid">
      <legend>Limits</legend>
      <TextField
        id={`${prefix}-max-upload`}
        label="Largest upload (MB)"
        type="number"
        inputMode="decimal"
        min={0}
        step="any"
        value={values.max_upload_mb}
        onChange={(value) => onChange("max_upload_mb", value)}
        error={errors.max_upload_mb}
        required
      />
      <TextField
        id={`${prefix}-max-files`}
        label="Files per prediction"
        type="number"
        inputMode="numeric"
        min={1}
        step="1"
        value={values.max_files}
        onChange={(value) => onChange("max_files", value)}
        error={errors.max_files}
        required
      />
      <TextField
        id={`${prefix}-timeout`}
        label="Time limit (seconds)"
        type="number"
        inputMode="decimal"
        min={0}
        step="any"
        value={values.timeout_s}
        onChange={(value) => onChange("timeout_s", value)}
        error={errors.timeout_s}
        hint="Empty: the server's usual limit."
      />
      <TextField
        id={`${prefix}-retention`}
        label="Keep results (days)"
        type="number"
        inputMode="decimal"
        min={0}
        step="any"
        value={values.retention_days}
        onChange={(value) => onChange("retention_days", value)}
        error={errors.retention_days}
        hint="Empty: the server's usual period; 0 keeps them for ever."
      />
    </fieldset>
  );
}
