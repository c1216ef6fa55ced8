import type { ModelAbout } from "@/api/types";
import { countOf } from "@/lib/format";

const FIELDS: [keyof ModelAbout, string][] = [
  ["source", "Source"],
  ["license", "License"],
  ["training_data", "Trained on"],
  ["outputs", "Outputs"],
  ["accuracy", "Accuracy"],
  ["intended_use", "Intended use"],
];

/** The model card, and what a loaded detector can find: users see what it cannot. */
export function AboutModel({ about, classes }: { about?: ModelAbout | null; classes?: string[] | null }) {
  const rows = FIELDS.filter(([key]) => typeof about?.[key] === "string" && about[key]);
  const limitations = about?.limitations ?? [];
  if (rows.length === 0 && limitations.length === 0 && !classes?.length) return null;
  return (
    <section className="panel" aria-labelledby="about-heading">
      <h2 id="about-heading">About this model</h2>
      {rows.length > 0 && (
        <dl className="facts">
          {rows.map(([key, label]) => (
            <div key={key}>
              <dt>{label}</dt>
              <dd>{about?.[key] as string}</dd>
            </div>
          ))}
        </dl>
      )}
      {limitations.length > 0 && (
        <>
          <h3>Known limitations</h3>
          <ul>
            {limitations.map((text) => (
              <li key={text}>{text}</li>
            ))}
          </ul>
        </>
      )}
      {classes && classes.length > 0 && (
        <details>
          <summary>
            What it can find ({countOf(classes.length, "class", "classes")}); anything else it does not see
          </summary>
          <p>{classes.join(", ")}</p>
        </details>
      )}
    </section>
  );
}
