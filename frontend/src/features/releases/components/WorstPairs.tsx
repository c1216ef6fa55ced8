import type { PairLabels, ResultPairComponent } from "@/components/agreement/types";
import { countOf, formatPercent } from "@/lib/format";
import type { Comparison } from "../types";

interface Props {
  worst: Comparison["worst"];
  labels: PairLabels;
  Pair: ResultPairComponent;
}

function inputName(pair: Comparison["worst"][number]): string {
  const inputs = pair.baseline.inputs.length ? pair.baseline.inputs : pair.candidate.inputs;
  return inputs.length === 1 ? inputs[0].name : countOf(inputs.length, "file");
}

/** The pairs that disagree most, most first: both results side by side. */
export function WorstPairs({ worst, labels, Pair }: Props) {
  return (
    <ol className="compare-pairs">
      {worst.map((pair, index) => (
        <li key={pair.candidate.id} className="compare-pair">
          <h4>
            {index + 1}. {inputName(pair)}: {formatPercent(pair.agreement.disagreement, 0)} disagreement
          </h4>
          <Pair baseline={pair.baseline} candidate={pair.candidate} labels={labels} headingLevel={5} />
        </li>
      ))}
    </ol>
  );
}
