// The fields a new version and an edited one share: labels, preprocessing, multi-label,
// parameter defaults, the card and the note.
import { CARD_FIELDS, type CardValues, type Channels, type OptionValues, type Resize, type VersionErrors, type VersionExtras } from "../versionForm";
import { CheckField, NumberField, SelectField, TextArea, TextField } from "./Field";

/** The families whose weights are read by the generic runtime, with `options.preprocess`. */
const PREPROCESSED = new Set(["image-classification", "image-segmentation"]);

const SIZE = [
  { key: "width", label: "Width" },
  { key: "height", label: "Height" },
] as const;

const NORMALISE = [
  { key: "mean", label: "Mean", placeholder: "0.485, 0.456, 0.406", hint: "Subtracted from each channel, separated by commas." },
  { key: "std", label: "Standard deviation", placeholder: "0.229, 0.224, 0.225", hint: "Each channel is divided by it, separated by commas." },
] as const;

interface OptionProps {
  prefix: string;
  family: string;
  values: OptionValues;
  errors: VersionErrors;
  onChange: (changes: Partial<OptionValues>) => void;
}

export function OptionFields({ prefix, family, values, errors, onChange }: OptionProps) {
  const preprocessed = PREPROCESSED.has(family);
  const preprocessOpen = preprocessed || Boolean(values.width || values.height || values.mean || values.std || values.resize || values.channels);
  return (
    <>
      <TextArea
        id={`${prefix}-labels`}
        label="Labels (optional)"
        value={values.labels}
        onChange={(labels) => onChange({ labels })}
        error={errors.labels}
        rows={5}
        hint="One class name a line, in the order of the model's outputs. Leave empty to use the names stored in the weights."
      />
      {family === "image-classification" && (
        <CheckField
          id={`${prefix}-multi-label`}
          label="Several labels per image"
          checked={values.multiLabel}
          onChange={(multiLabel) => onChange({ multiLabel })}
          hint="Each class is judged on its own (for example the objects a photo shows), instead of one answer per image."
        />
      )}
      <details className="catalog-details" open={preprocessOpen}>
        <summary>How images are prepared for the model</summary>
        <p className="hint">
          {preprocessed
            ? "Leave a field empty to use what the weights say about themselves."
            : "Only image classification and segmentation models read these; other families prepare images their own way."}
        </p>
        <fieldset className="catalog-grid">
          <legend>Input size in pixels</legend>
          {SIZE.map(({ key, label }) => (
            <NumberField
              key={key}
              id={`${prefix}-${key}`}
              label={label}
              whole
              value={values[key]}
              onChange={(value) => onChange({ [key]: value })}
              invalidBy={errors.size ? `${prefix}-size-error` : undefined}
            />
          ))}
          {errors.size && (
            <p id={`${prefix}-size-error`} className="field-error catalog-wide">
              {errors.size}
            </p>
          )}
        </fieldset>
        <div className="catalog-grid">
          <SelectField
            id={`${prefix}-resize`}
            label="Resizing"
            value={values.resize}
            onChange={(resize) => onChange({ resize: resize as Resize })}
            options={[
              { value: "", label: "Not set (stretch)" },
              { value: "stretch", label: "Stretch to the size" },
              { value: "letterbox", label: "Fit inside, pad the rest (letterbox)" },
              { value: "center-crop", label: "Fill, crop the middle (centre crop)" },
            ]}
          />
          <SelectField
            id={`${prefix}-channels`}
            label="Colour order"
            value={values.channels}
            onChange={(channels) => onChange({ channels: channels as Channels })}
            options={[
              { value: "", label: "Not set (RGB)" },
              { value: "rgb", label: "RGB" },
              { value: "bgr", label: "BGR" },
            ]}
          />
          {NORMALISE.map(({ key, ...text }) => (
            <TextField
              key={key}
              id={`${prefix}-${key}`}
              value={values[key]}
              onChange={(value) => onChange({ [key]: value })}
              error={errors[key]}
              {...text}
            />
          ))}
        </div>
      </details>
    </>
  );
}

interface ExtraProps {
  prefix: string;
  values: VersionExtras;
  errors: VersionErrors;
  onChange: (changes: Partial<VersionExtras>) => void;
  /** the card and the defaults start folded away (a new version) or open (editing) */
  open?: boolean;
}

export function ExtraFields({ prefix, values, errors, onChange, open = false }: ExtraProps) {
  const setCard = (key: keyof CardValues, value: string) => onChange({ card: { ...values.card, [key]: value } });
  return (
    <>
      <details className="catalog-details" open={open || Boolean(errors.defaults || errors.card)}>
        <summary>Setting defaults and the model card</summary>
        <TextArea
          id={`${prefix}-defaults`}
          label="Setting defaults"
          value={values.defaults}
          onChange={(defaults) => onChange({ defaults })}
          error={errors.defaults}
          rows={3}
          hint='One a line, as "name = value", e.g. "top_k = 3": the value a setting has when a person leaves it empty.'
        />
        <fieldset className="catalog-grid">
          <legend>Model card</legend>
          <p className="hint catalog-wide">What a person should know before trusting the results; say only what is known.</p>
          {CARD_FIELDS.map((field) => (
            <TextField
              key={field.key}
              id={`${prefix}-card-${field.key}`}
              label={field.label}
              value={values.card[field.key]}
              onChange={(value) => setCard(field.key, value)}
              hint={field.hint || undefined}
            />
          ))}
          <div className="catalog-wide">
            <TextArea
              id={`${prefix}-card-limitations`}
              label="Known limitations"
              value={values.card.limitations}
              onChange={(value) => setCard("limitations", value)}
              error={errors.card}
              rows={3}
              hint="One a line."
            />
          </div>
        </fieldset>
      </details>
      <TextArea
        id={`${prefix}-note`}
        label="Note (optional)"
        value={values.note}
        onChange={(note) => onChange({ note })}
        error={errors.note}
        rows={2}
        maxLength={2000}
        hint="What changed in this version, in your words."
      />
    </>
  );
}
