import { useId, useState } from "react";
import type { Job } from "@/api/types";
import { formatPercent } from "@/lib/format";
import { SummaryList } from "./SummaryList";
import { imageSpace, num, record, str, type Dict } from "./shape";
import { ResultSection } from "./ResultSection";
import "./results.css";
import "./LabelResults.css";

/** One label of the model's ranked answer. */
interface Guess {
  label: string;
  probability: number;
}

/** Why a classification is "uncertain", in words (unknown reasons are shown as sent). */
const UNCERTAIN_WHY: Record<string, string> = {
  low_probability: "even its most likely label is below the probability this model needs to be sure",
};

/** The ranked labels of a classification result (`prediction`, else `items`), most likely
 * first; entries without a probability are left out. */
function readGuesses(result: Dict): Guess[] {
  const list = Array.isArray(result.prediction) ? result.prediction : Array.isArray(result.items) ? result.items : [];
  return list
    .map(record)
    .flatMap((item): Guess[] => {
      const probability = num(item.probability);
      if (probability === null) return [];
      const classId = num(item.class_id);
      const label = str(item.label) ?? (classId !== null ? `class ${classId}` : null);
      return label === null ? [] : [{ label, probability: Math.min(1, Math.max(0, probability)) }];
    })
    .sort((a, b) => b.probability - a.probability);
}

/** The probability a label needs to count: the result's, else the job's parameter; a
 * multi-label model without either uses 50 %. */
function threshold(result: Dict, job: Job, multiLabel: boolean): number | null {
  return num(result.min_probability) ?? num(job.params.min_probability) ?? (multiLabel ? 0.5 : null);
}

export function ClassificationResult({ job }: { job: Job }) {
  const result = record(job.result);
  const guesses = readGuesses(result);
  const multiLabel = result.multi_label === true;
  const minimum = threshold(result, job, multiLabel);
  const category = str(result.category) ?? guesses[0]?.label ?? null;
  const uncertain = category === "uncertain";
  const input = job.inputs[0];
  const applies = (guess: Guess) => multiLabel && minimum !== null && guess.probability >= minimum;
  const applying = guesses.filter(applies).length;
  return (
    <ResultSection title="Classification">
      {uncertain ? (
        <UncertainAnswer best={guesses[0]} minimum={minimum} reasons={result.uncertain} />
      ) : category !== null ? (
        <p className="class-headline">
          <span>{category}</span>
          <ProbabilityOf guess={guesses.find((g) => g.label === category)} />
        </p>
      ) : null}
      {multiLabel && (
        <p>
          This model can give one image several labels: each label's probability stands on its own, so they need not add up to 100%.{" "}
          {minimum !== null &&
            (applying === 0
              ? `None reaches ${formatPercent(minimum)}, the probability a label needs to apply.`
              : `${applying === 1 ? "1 label reaches" : `${applying} labels reach`} ${formatPercent(minimum)} and ${applying === 1 ? "is" : "are"} marked “applies”.`)}
        </p>
      )}
      <div className="class-layout">
        {input && <InputImage url={input.url} alt={`${input.name}${category && !uncertain ? `, labelled ${category}` : ""}`} />}
        {guesses.length === 0 ? <p>The model gave no labels for this image.</p> : <RankedLabels guesses={guesses} applies={applies} />}
      </div>
      <SummaryList label="Image" items={[{ label: "Image size", value: imageSpace(result) ? `${result.width} × ${result.height} px` : null }]} />
    </ResultSection>
  );
}

function ProbabilityOf({ guess }: { guess?: Guess }) {
  if (!guess) return null;
  return <span className="muted"> {formatPercent(guess.probability, 1)} probability</span>;
}

/** "uncertain": the model's best guess, said as a guess. */
function UncertainAnswer({ best, minimum, reasons }: { best?: Guess; minimum: number | null; reasons: unknown }) {
  // a guess below the minimum already says why; other reasons are told
  const belowMinimum = best !== undefined && minimum !== null && best.probability < minimum;
  const why = (Array.isArray(reasons) ? reasons : [])
    .filter((r): r is string => typeof r === "string" && !(belowMinimum && r === "low_probability"))
    .map((r) => UNCERTAIN_WHY[r] ?? r.replace(/_/g, " "));
  return (
    <div className="alert alert-warning class-uncertain" role="note">
      <p className="class-headline">The model is not sure what this image shows.</p>
      {best && (
        <p>
          Its best guess is <strong>{best.label}</strong>, at {formatPercent(best.probability, 1)} probability
          {belowMinimum ? `, below the ${formatPercent(minimum)} it needs to be sure` : ""}.
        </p>
      )}
      {why.length > 0 && <p className="small">Why: {why.join("; ")}.</p>}
    </div>
  );
}

/** The labels, most likely first: each with its probability in text and a bar as wide. */
function RankedLabels({ guesses, applies }: { guesses: Guess[]; applies: (guess: Guess) => boolean }) {
  const headingId = useId();
  return (
    <div className="ranked-labels">
      <h3 id={headingId}>Most likely labels</h3>
      <ol className="ranked-list" aria-labelledby={headingId}>
        {guesses.map((guess, index) => {
          const marked = applies(guess);
          return (
            <li key={`${guess.label}-${index}`} className={marked ? "applies" : undefined}>
              <span className="ranked-label break">
                {guess.label}
                {marked && " "}
                {marked && (
                  <span className="applies-mark">
                    <span aria-hidden="true">✓</span> applies
                  </span>
                )}
              </span>{" "}
              <span className="ranked-value">{formatPercent(guess.probability, 1)}</span>
              <svg className="ranked-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                <rect className="ranked-bar-fill" width={guess.probability * 100} height="10" />
              </svg>
            </li>
          );
        })}
      </ol>
    </div>
  );
}

/** The input image, scaled to the width; a note when it cannot be loaded. */
function InputImage({ url, alt }: { url: string; alt: string }) {
  const [failed, setFailed] = useState(false);
  if (failed) {
    return (
      <p className="alert alert-warning" role="alert">
        The image could not be shown (it may have been deleted); the results are still listed here.
      </p>
    );
  }
  return (
    <figure className="class-figure">
      <img src={url} alt={alt} onError={() => setFailed(true)} />
    </figure>
  );
}
