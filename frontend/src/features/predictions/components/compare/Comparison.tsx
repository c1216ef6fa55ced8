import { useEffect, useId, useRef } from "react";
import { useModels } from "@/api/models";
import { isTerminal, type Job } from "@/api/types";
import { AgreementFigures } from "@/components/agreement/AgreementFigures";
import { ErrorMessage } from "@/components/ErrorMessage";
import { Loading } from "@/components/Spinner";
import { useCancelPrediction, usePrediction } from "../../api";
import { pairLabels } from "../../compare";
import { useAgreement } from "../../compareApi";
import { useJobEvents } from "../../hooks/useJobEvents";
import { JobProgress } from "../JobProgress";
import { ResultPair } from "./ResultPair";

interface Props {
  job: Job;
  otherId: string;
  /** move the focus here when it appears (it was just started) */
  focus: boolean;
}

/** The other prediction of the same upload, followed like a job's page follows its job; once
 * it has succeeded, how the two results agree and both side by side. */
export function Comparison({ job, otherId, focus }: Props) {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const query = usePrediction(otherId);
  const events = useJobEvents(otherId, query.data);
  const cancel = useCancelPrediction();
  const models = useModels();
  const other = events.job ?? query.data;
  const succeeded = other?.status === "succeeded";
  const agreement = useAgreement(job.id, otherId, succeeded);

  useEffect(() => {
    if (focus) heading.current?.focus();
  }, [focus]);

  const labels = other ? pairLabels(job, other, models.data ?? []) : null;
  return (
    <section className="comparison" aria-labelledby={headingId}>
      <h3 id={headingId} ref={heading} tabIndex={-1}>
        {labels ? `${labels.baseline} and ${labels.candidate}` : "The other result"}
      </h3>
      {query.isPending && <Loading label="Loading the other prediction…" />}
      {query.isError && <ErrorMessage error={query.error} onRetry={() => query.refetch()} />}
      {other && !isTerminal(other.status) && (
        <JobProgress job={other} connection={events.connection} onCancel={() => cancel.mutate(other.id)} cancelling={cancel.isPending} />
      )}
      {cancel.isError && <ErrorMessage error={cancel.error} />}
      {other && isTerminal(other.status) && !succeeded && (
        <p className="alert alert-warning" role="status">
          The other prediction {other.status === "failed" ? `failed${other.error ? `: ${other.error}` : "."}` : "was cancelled."} There is
          nothing to compare.
        </p>
      )}
      {succeeded && other && labels && (
        <>
          <h4>How they agree</h4>
          {agreement.isPending && <Loading label="Comparing the two results…" />}
          {agreement.isError && <ErrorMessage error={agreement.error} onRetry={() => agreement.refetch()} />}
          {agreement.data && <AgreementFigures of={agreement.data.agreement} labels={labels} />}
          <h4>Side by side</h4>
          <ResultPair baseline={job} candidate={other} labels={labels} headingLevel={5} />
        </>
      )}
    </section>
  );
}
