import type { Param } from "@/api/types";
import { formatNumber } from "@/lib/format";
import { sentence } from "@/lib/sentence";
import "../models.css";

interface Props {
  params: Record<string, Param>;
  values: Record<string, string>;
  errors: Record<string, string>;
  onChange: (name: string, value: string) => void;
  disabled?: boolean;
}

/** The parameter's name as the model declares it for people ("Minimum confidence"), else
 * made from its key. */
export function labelOf(name: string, param?: Pick<Param, "label">): string {
  if (param?.label) return param.label;
  const text = name.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function bounds(param: Param): string {
  const hasMin = param.min !== null && param.min !== undefined;
  const hasMax = param.max !== null && param.max !== undefined;
  const n = (value: number) => formatNumber(value, 4);
  if (hasMin && hasMax) return `From ${n(param.min!)} to ${n(param.max!)}`;
  if (hasMin) return `At least ${n(param.min!)}`;
  if (hasMax) return `At most ${n(param.max!)}`;
  return "";
}

function defaultText(param: Param): string {
  const value = param.default;
  if (value === null || value === undefined || value === "") return "";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "";
  if (typeof value === "boolean") return value ? "on" : "off";
  if (typeof value === "number") return formatNumber(value, 4);
  return String(value);
}

/** The help under a field: the model's sentence, then the bounds and the default. */
export function hintOf(param: Param): string {
  const range = bounds(param);
  const fallback = defaultText(param);
  const limits = [range, fallback ? `${range ? "default" : "Default"} ${fallback}` : ""].filter(Boolean).join(", ");
  return [param.description ? sentence(param.description) : "", limits ? `${limits}.` : ""].filter(Boolean).join(" ");
}

/** One input per model parameter, with its bounds as attributes and in words. */
export function ParamsFields({ params, values, errors, onChange, disabled }: Props) {
  const entries = Object.entries(params);
  if (entries.length === 0) return null;
  return (
    <fieldset className="params" disabled={disabled}>
      <legend>Settings</legend>
      <p className="hint">Leave a setting empty to use its default.</p>
      {entries.map(([name, param]) => {
        const id = `param-${name}`;
        const hintId = `${id}-hint`;
        const errorId = `${id}-error`;
        const error = errors[name];
        const hint = hintOf(param);
        const describedBy = [hint ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ") || undefined;
        const common = {
          id,
          name,
          "aria-describedby": describedBy,
          "aria-invalid": error ? true : undefined,
        } as const;
        let input;
        if (param.type === "bool") {
          return (
            <div className="field field-check" key={name}>
              <input
                {...common}
                type="checkbox"
                checked={(values[name] ?? "").toLowerCase() === "true"}
                onChange={(event) => onChange(name, event.target.checked ? "true" : "false")}
              />
              <label htmlFor={id}>{labelOf(name, param)}</label>
              {hint && (
                <p id={hintId} className="hint">
                  {hint}
                </p>
              )}
            </div>
          );
        }
        if (param.type === "str" && param.choices) {
          input = (
            <select {...common} value={values[name] ?? ""} onChange={(event) => onChange(name, event.target.value)}>
              {!param.choices.includes(String(param.default ?? "")) && <option value="">(default)</option>}
              {param.choices.map((choice) => (
                <option key={choice} value={choice}>
                  {choice}
                </option>
              ))}
            </select>
          );
        } else if (param.type === "int" || param.type === "float") {
          input = (
            <input
              {...common}
              type="number"
              inputMode={param.type === "int" ? "numeric" : "decimal"}
              min={param.min ?? undefined}
              max={param.max ?? undefined}
              step={param.type === "int" ? 1 : "any"}
              value={values[name] ?? ""}
              onChange={(event) => onChange(name, event.target.value)}
            />
          );
        } else {
          input = (
            <input
              {...common}
              type="text"
              autoComplete="off"
              value={values[name] ?? ""}
              placeholder={param.type === "list" ? "comma-separated, e.g. a,b" : undefined}
              onChange={(event) => onChange(name, event.target.value)}
            />
          );
        }
        return (
          <div className="field" key={name}>
            <label htmlFor={id}>{labelOf(name, param)}</label>
            {input}
            {hint && (
              <p id={hintId} className="hint">
                {hint}
              </p>
            )}
            {error && (
              <p id={errorId} className="field-error">
                {error}
              </p>
            )}
          </div>
        );
      })}
    </fieldset>
  );
}
