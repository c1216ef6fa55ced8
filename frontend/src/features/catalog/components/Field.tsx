// One labelled form field with its hint and its error, wired for screen readers
// (aria-describedby, aria-invalid); the catalog's forms are made of these.
import type { ReactNode, RefObject } from "react";

interface Common {
  id: string;
  label: string;
  hint?: ReactNode;
  error?: string | null;
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  return [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
}

function Notes({ id, hint, error }: Omit<Common, "label">) {
  return (
    <>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </>
  );
}

type InputProps = Common & {
  value: string;
  onChange: (value: string) => void;
  type?: "text" | "number";
  inputMode?: "decimal" | "numeric" | "text";
  required?: boolean;
  maxLength?: number;
  autoComplete?: string;
  placeholder?: string;
  list?: string;
  step?: string;
  min?: number;
  className?: string;
  /** marked invalid by an error shown elsewhere (e.g. one for the width and the height) */
  invalidBy?: string;
};

export function TextField({ id, label, hint, error, value, onChange, type = "text", className, required, invalidBy, ...rest }: InputProps) {
  return (
    <div className={`field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error || invalidBy ? true : undefined}
        aria-describedby={[describedBy(id, hint, error), invalidBy].filter(Boolean).join(" ") || undefined}
        aria-required={required || undefined}
        {...rest}
      />
      <Notes id={id} hint={hint} error={error} />
    </div>
  );
}

export function TextArea({
  id,
  label,
  hint,
  error,
  value,
  onChange,
  rows = 4,
  maxLength,
}: Common & { value: string; onChange: (value: string) => void; rows?: number; maxLength?: number }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        className="catalog-textarea"
        rows={rows}
        value={value}
        maxLength={maxLength}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
      />
      <Notes id={id} hint={hint} error={error} />
    </div>
  );
}

export function SelectField({
  id,
  label,
  hint,
  error,
  value,
  onChange,
  options,
  className,
}: Common & {
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
  className?: string;
}) {
  return (
    <div className={`field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <Notes id={id} hint={hint} error={error} />
    </div>
  );
}

export function CheckField({
  id,
  label,
  hint,
  checked,
  onChange,
}: Omit<Common, "error"> & { checked: boolean; onChange: (checked: boolean) => void }) {
  return (
    <div className="field field-check">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <label htmlFor={id}>{label}</label>
      <Notes id={id} hint={hint} />
    </div>
  );
}

/** The list of problems above a form's button, focused when a submit is refused. */
export function ProblemSummary({ count, id, focusRef }: { count: number; id: string; focusRef: RefObject<HTMLDivElement | null> }) {
  if (count === 0) return null;
  return (
    <div id={id} ref={focusRef} tabIndex={-1} className="alert alert-error" role="alert">
      <p className="alert-title">{count === 1 ? "Please correct the field marked below." : `Please correct the ${count} fields marked below.`}</p>
    </div>
  );
}
