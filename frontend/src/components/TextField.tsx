// One labelled text input with its hint and its error, wired for screen readers: the error
// is tied to the input (aria-describedby, aria-invalid) and, when it comes from the server
// after a submit, announced as it appears (`announce`).
import type { InputHTMLAttributes, RefObject } from "react";

interface Props extends Omit<InputHTMLAttributes<HTMLInputElement>, "onChange" | "value" | "id"> {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  hint?: string;
  error?: string | null;
  announce?: boolean;
  inputRef?: RefObject<HTMLInputElement | null>;
}

export function TextField({ id, label, value, onChange, hint, error, announce = false, inputRef, ...input }: Props) {
  const describedBy = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        {...input}
        id={id}
        ref={inputRef}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
      />
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error" role={announce ? "alert" : undefined}>
          {error}
        </p>
      )}
    </div>
  );
}
