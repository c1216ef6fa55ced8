// The contact form's checks, mirroring backend/modelgallery/api/schemas/contact.py (LIMITS and
// its messages), so that a person sees the same rules before sending.

export const CONTACT_LIMITS = {
  name: { min: 1, max: 100 },
  email: { max: 254 },
  subject: { min: 1, max: 150 },
  message: { min: 10, max: 5000 },
} as const;

export interface ContactValues {
  name: string;
  email: string;
  subject: string;
  message: string;
}

export type ContactErrors = Partial<Record<keyof ContactValues, string>>;

// U+2028/U+2029 and the other characters str.splitlines() breaks on
// eslint-disable-next-line no-control-regex
const LINE_BREAKS = /[\r\n\u2028\u2029\u000b\u000c\u001c\u001d\u001e\u0085]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_NEWLINE_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// one @, something before it, a dot in the domain, no spaces: the server's check is stricter
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Characters as the server counts them (code points, so an emoji is one). */
export function charCount(value: string): number {
  return [...value].length;
}

function length(value: string, min: number, max: number): string | null {
  if (!value) return "This field is required.";
  const n = charCount(value);
  if (n < min) return `Please write at least ${min} characters.`;
  if (n > max) return `Please keep this to at most ${max} characters.`;
  return null;
}

function singleLine(value: string): string | null {
  if (LINE_BREAKS.test(value)) return "Please keep this on a single line.";
  if (CONTROL.test(value)) return "Please remove the control characters.";
  return null;
}

/** What the server stores: surrounding space removed, CRLF as LF. */
export function normaliseContact(values: ContactValues): ContactValues {
  return {
    name: values.name.trim(),
    email: values.email.trim(),
    subject: values.subject.trim(),
    message: values.message.replace(/\r\n?/g, "\n").trim(),
  };
}

export function validateContact(raw: ContactValues): ContactErrors {
  const values = normaliseContact(raw);
  const errors: ContactErrors = {};
  const name = singleLine(values.name) ?? length(values.name, CONTACT_LIMITS.name.min, CONTACT_LIMITS.name.max);
  if (name) errors.name = name;
  if (!values.email) errors.email = "This field is required.";
  else if (charCount(values.email) > CONTACT_LIMITS.email.max)
    errors.email = `Please keep this to at most ${CONTACT_LIMITS.email.max} characters.`;
  else if (!EMAIL.test(values.email)) errors.email = "Please enter a valid e-mail address, like name@example.org.";
  const subject =
    singleLine(values.subject) ?? length(values.subject, CONTACT_LIMITS.subject.min, CONTACT_LIMITS.subject.max);
  if (subject) errors.subject = subject;
  if (CONTROL_EXCEPT_NEWLINE_TAB.test(values.message))
    errors.message = "Please remove the control characters (only line breaks and tabs are allowed).";
  else {
    const message = length(values.message, CONTACT_LIMITS.message.min, CONTACT_LIMITS.message.max);
    if (message) errors.message = message;
  }
  return errors;
}
