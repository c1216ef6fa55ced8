import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useSendContact } from "../api";
import type { ContactOut } from "@/api/types";
import { useMe } from "@/api/auth";
import { paths } from "@/config/paths";
import { ErrorMessage } from "@/components/ErrorMessage";
import { usePageTitle } from "@/components/PageTitle";
import { countOf } from "@/lib/format";
import { CONTACT_LIMITS, charCount, normaliseContact, validateContact, type ContactErrors, type ContactValues } from "../validation";

const EMPTY: ContactValues = { name: "", email: "", subject: "", message: "" };

/** What happens to the message, as the server says it can (its `delivery`): an answer by
 * e-mail is promised only where the server mails messages on; without a mail server they
 * wait on this site for the team to read. */
export function deliveryText(delivery: ContactOut["delivery"]): string {
  switch (delivery) {
    case "sent":
      return "It has been passed on to the team by e-mail; they will answer at the address you gave.";
    case "pending":
    case "retrying":
      return "It is stored and is being passed on to the team by e-mail; they will answer at the address you gave.";
    case "not_configured":
      return "It is stored on this site for the team to read. This site sends no e-mail, so it is not forwarded and you will get no confirmation by e-mail.";
  }
}

export function ContactPage() {
  usePageTitle("Contact");
  const me = useMe();
  const send = useSendContact();
  const [values, setValues] = useState<ContactValues>(EMPTY);
  const [submitted, setSubmitted] = useState(false);
  const [prefilled, setPrefilled] = useState(false);
  const firstError = useRef<HTMLDivElement>(null);

  if (me.data && !prefilled) {
    setPrefilled(true);
    setValues((current) => ({ ...current, name: current.name || me.data!.name, email: current.email || me.data!.email }));
  }

  const errors: ContactErrors = submitted ? validateContact(values) : {};

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (Object.keys(validateContact(values)).length) {
      requestAnimationFrame(() => firstError.current?.focus());
      return;
    }
    try {
      await send.mutateAsync(normaliseContact(values));
    } catch {
      /* shown below */
    }
  };

  if (send.isSuccess) {
    return (
      <div className="narrow">
        <h1>Thank you</h1>
        <div className="alert alert-success" role="status">
          <p className="alert-title">Your message was received.</p>
          <p>{deliveryText(send.data.delivery)}</p>
          <p className="small muted">Reference: {send.data.id}</p>
        </div>
        <div className="button-row">
          <button
            type="button"
            className="button secondary"
            onClick={() => {
              send.reset();
              setValues({ ...EMPTY, name: values.name, email: values.email });
              setSubmitted(false);
            }}
          >
            Write another message
          </button>
          <Link className="button" to={paths.gallery.href()}>
            Back to the models
          </Link>
        </div>
      </div>
    );
  }

  const errorCount = Object.keys(errors).length;
  const input = (key: "name" | "email" | "subject", label: string, type: string, autoComplete: string) => (
    <div className="field">
      <label htmlFor={`contact-${key}`}>{label}</label>
      <input
        id={`contact-${key}`}
        name={key}
        type={type}
        autoComplete={autoComplete}
        maxLength={CONTACT_LIMITS[key].max}
        value={values[key]}
        onChange={(event) => setValues({ ...values, [key]: event.target.value })}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={errors[key] ? `contact-${key}-error` : undefined}
      />
      {errors[key] && (
        <p id={`contact-${key}-error`} className="field-error">
          {errors[key]}
        </p>
      )}
    </div>
  );
  const messageLength = charCount(values.message.replace(/\r\n?/g, "\n").trim());

  return (
    <div className="narrow">
      <h1>Contact</h1>
      <p>Questions about a model or a result, or a problem with the site? Write to us.</p>
      <form className="panel form" onSubmit={onSubmit} noValidate>
        {errorCount > 0 && (
          <div ref={firstError} tabIndex={-1} className="alert alert-error" role="alert">
            <p className="alert-title">
              Please correct {countOf(errorCount, "field")} below.
            </p>
          </div>
        )}
        {input("name", "Your name", "text", "name")}
        {input("email", "Your e-mail", "email", "email")}
        {input("subject", "Subject", "text", "off")}
        <div className="field">
          <label htmlFor="contact-message">Message</label>
          <textarea
            id="contact-message"
            name="message"
            rows={8}
            value={values.message}
            onChange={(event) => setValues({ ...values, message: event.target.value })}
            aria-invalid={errors.message ? true : undefined}
            aria-describedby={["contact-message-count", errors.message ? "contact-message-error" : ""].filter(Boolean).join(" ")}
          />
          <p id="contact-message-count" className={`hint${messageLength > CONTACT_LIMITS.message.max ? " text-error" : ""}`}>
            {messageLength} of {CONTACT_LIMITS.message.max} characters (at least {CONTACT_LIMITS.message.min}).
          </p>
          {errors.message && (
            <p id="contact-message-error" className="field-error">
              {errors.message}
            </p>
          )}
        </div>
        {send.isError && <ErrorMessage error={send.error} />}
        <button type="submit" className="button primary" disabled={send.isPending}>
          {send.isPending ? "Sending…" : "Send the message"}
        </button>
      </form>
    </div>
  );
}
