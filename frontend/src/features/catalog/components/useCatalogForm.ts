// What the catalog's forms share: the values, their problems once a submit was tried, the
// props of a field bound to one value, and a submit that sends only valid values.
import { useId, useRef, useState, type FormEvent } from "react";

/** The props that tie a field to one value of the form. */
export interface BoundField {
  id: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
}

type TextKey<V> = { [K in keyof V]-?: V[K] extends string ? K : never }[keyof V] & string;

/** `validate` gives the problems by field; `onEdit` runs on every change (e.g. to clear a refusal). */
export function useCatalogForm<V extends object, E extends object>(initial: V | (() => V), validate: (values: V) => E, onEdit?: () => void) {
  const prefix = useId();
  const [values, setValues] = useState<V>(initial);
  const [submitted, setSubmitted] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  const errors = (submitted ? validate(values) : {}) as E;

  const change = (changes: Partial<V> | ((current: V) => Partial<V>)) => {
    setValues((current) => ({ ...current, ...(typeof changes === "function" ? changes(current) : changes) }));
    onEdit?.();
  };

  /** id, value, onChange and error of the field of `key` (its id: `idSuffix`, or the key). */
  const field = (key: TextKey<V>, idSuffix: string = key): BoundField => ({
    id: `${prefix}-${idSuffix}`,
    value: values[key] as string,
    onChange: (value: string) => change({ [key]: value } as Partial<V>),
    error: (errors as Partial<Record<string, string>>)[key],
  });

  /** For the form's onSubmit: `send` when the values pass their checks, else the problems are
   * shown and their summary focused; a failure of `send` is the form's to show. */
  const submit = async (event: FormEvent, send: () => unknown) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(validate(values)).length) {
      requestAnimationFrame(() => summary.current?.focus());
      return;
    }
    try {
      await send();
    } catch {
      /* shown by the form */
    }
  };

  const problemSummary = { count: Object.keys(errors).length, id: `${prefix}-problems`, focusRef: summary };
  return { prefix, values, errors, change, field, submit, problemSummary };
}
