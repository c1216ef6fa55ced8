import { Link } from "react-router";
import type { Job } from "@/api/types";
import type { ResultPairProps } from "@/components/agreement/types";
import { StatusBadge } from "@/components/StatusBadge";
import { paths } from "@/config/paths";
import { formatDateTime } from "@/lib/format";
import { resultClasses, SharedClassColours } from "../results/classColours";
import { ResultScope } from "../results/ResultSection";
import { ResultViewer } from "../results/ResultView";
import "./compare.css";

/** Two results of the same input side by side (stacked on a narrow screen), each drawn by the
 * viewer of its kind, under a heading that names its side. */
export function ResultPair({ baseline, candidate, labels, headingLevel }: ResultPairProps) {
  const sides: [string, Job][] = [
    [labels.baseline, baseline],
    [labels.candidate, candidate],
  ];
  const Heading = `h${headingLevel}` as const;
  // Both sides' classes coloured together: one class, one colour on both.
  const classes = sides.flatMap(([, job]) => resultClasses(job.result));
  return (
    <SharedClassColours labels={classes}>
      <div className="result-pair">
        {sides.map(([label, job]) => (
          <div key={job.id} className="result-pair-side">
            <div className="result-pair-head">
              <Heading>{label}</Heading>
              <Link to={paths.prediction.href(job.id)} className="small">
                Open the prediction{" "}<span className="visually-hidden">of {label}</span>
              </Link>
            </div>
            <ResultScope level={(headingLevel + 1) as 4 | 5 | 6}>
              <Side job={job} />
            </ResultScope>
          </div>
        ))}
      </div>
    </SharedClassColours>
  );
}

function Side({ job }: { job: Job }) {
  if (job.files_expired_at) {
    return <p className="muted">Its files expired on {formatDateTime(job.files_expired_at)}: there is nothing left to show.</p>;
  }
  if (job.status !== "succeeded") {
    return (
      <p>
        <StatusBadge status={job.status} /> {job.error ?? job.message}
      </p>
    );
  }
  return <ResultViewer job={job} />;
}
