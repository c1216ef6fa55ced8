import type { LimitValues } from "../modelForm";
import { NumberField } from "./Field";
import type { BoundField } from "./useCatalogForm";

const LIMITS: { key: keyof LimitValues; id: string; label: string; whole?: boolean; required?: boolean; hint?: string }[] = [
  { key: "max_upload_mb", id: "max-upload", label: "Largest upload (MB)", required: true },
  { key: "max_files", id: "max-files", label: "Files per prediction", whole: true, required: true },
  { key: "timeout_s", id: "timeout", label: "Time limit (seconds)", hint: "Empty: the server's usual limit." },
  { key: "retention_days", id: "retention", label: "Keep results (days)", hint: "Empty: the server's usual period; 0 keeps them for ever." },
];

/** What bounds one prediction of the model: upload size, files, time, how long files are kept. */
export function LimitFields({ field }: { field: (key: keyof LimitValues, idSuffix: string) => BoundField }) {
  return (
    <fieldset className="catalog-grid">
      <legend>Limits</legend>
      {LIMITS.map(({ key, id, ...limit }) => (
        <NumberField key={key} {...field(key, id)} {...limit} />
      ))}
    </fieldset>
  );
}
