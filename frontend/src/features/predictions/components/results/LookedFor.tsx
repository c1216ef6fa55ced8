import { countOf } from "@/lib/format";

/** The classes a detector looked for (the result's `model_classes`): what is not among
 * them it cannot see, which the boxes alone do not tell. */
export function LookedFor({ classes }: { classes: unknown }) {
  if (!Array.isArray(classes) || classes.length === 0) return null;
  const names = classes.filter((c): c is string => typeof c === "string");
  return (
    <details className="looked-for">
      <summary>
        It looked for {countOf(names.length, "class", "classes")} only; anything else is not detected
      </summary>
      <p>{names.join(", ")}</p>
    </details>
  );
}
