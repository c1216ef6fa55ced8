// One labelled form field with its hint and its error, wired for screen readers
// (aria-describedby, aria-invalid); the catalog's forms are made of these.
import type { ChangeEvent, ReactNode, RefObject } from "react";

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

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

/** The props that tie a control to its value, its label and its notes. */
interface Bound {
  id: string;
  value: string;
  onChange: (event: ChangeEvent<Control>) => void;
  "aria-invalid"?: true;
  "aria-describedby"?: string;
}

type ValueProps = Common & { value: string; onChange: (value: string) => void; className?: string };

/** The label, the control (given the props that bind it) and the notes. */
function Labelled({
  id,
  label,
  hint,
  error,
  value,
  onChange,
  className,
  invalidBy,
  control,
}: ValueProps & { invalidBy?: string; control: (bound: Bound) => ReactNode }) {
  return (
    <div className={`field${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      {control({
        id,
        value,
        onChange: (event) => onChange(event.target.value),
        "aria-invalid": error || invalidBy ? true : undefined,
        "aria-describedby": [describedBy(id, hint, error), invalidBy].filter(Boolean).join(" ") || undefined,
      })}
      <Notes id={id} hint={hint} error={error} />
    </div>
  );
}

type InputProps = ValueProps & {
  type?: "text" | "number";
  inputMode?: "decimal" | "numeric" | "text";
  required?: boolean;
  maxLength?: number;
  autoComplete?: string;
  placeholder?: string;
  list?: string;
  step?: string;
  min?: number;
  /** marked invalid by an error shown elsewhere (e.g. one for the width and the height) */
  invalidBy?: string;
};

export function TextField({ id, label, hint, error, value, onChange, className, invalidBy, type = "text", required, ...rest }: InputProps) {
  return (
    <Labelled
      {...{ id, label, hint, error, value, onChange, className, invalidBy }}
      control={(bound) => <input type={type} {...bound} aria-required={required || undefined} {...rest} />}
    />
  );
}

/** A number field: a whole number from 1 (`whole`), or any number from 0. */
export function NumberField({ whole = false, ...props }: Omit<InputProps, "type" | "inputMode" | "min" | "step"> & { whole?: boolean }) {
  return <TextField {...props} type="number" inputMode={whole ? "numeric" : "decimal"} min={whole ? 1 : 0} step={whole ? "1" : "any"} />;
}

export function TextArea({ rows = 4, maxLength, ...props }: ValueProps & { rows?: number; maxLength?: number }) {
  return <Labelled {...props} control={(bound) => <textarea className="catalog-textarea" rows={rows} maxLength={maxLength} {...bound} />} />;
}

export function SelectField({ options, ...props }: ValueProps & { options: { value: string; label: string }[] }) {
  return (
    <Labelled
      {...props}
      control={(bound) => (
        <select {...bound}>
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    />
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

/** A form's submit and cancel buttons: both off while it is sending. */
export function FormButtons({ busy, label, busyLabel, onCancel }: { busy: boolean; label: string; busyLabel: string; onCancel: () => void }) {
  return (
    <div className="button-row">
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
      <button type="button" className="button secondary" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
    </div>
  );
}
