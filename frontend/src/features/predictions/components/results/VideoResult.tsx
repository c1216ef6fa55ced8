import type { Job } from "@/api/types";
import { ScrollTable } from "@/components/ScrollTable";
import { formatNumber, formatPercent, formatQuantity } from "@/lib/format";
import { SummaryList } from "./SummaryList";
import { countMap, num, record, str } from "./shape";
import { VideoViewer } from "./VideoViewer";
import { ResultSection, useResultId } from "./ResultSection";
import "./results.css";

export function VideoResult({ job }: { job: Job }) {
  const result = record(job.result);
  const counts = countMap(result.counts);
  const framesWith = record(result.frames_with);
  const detections = record(result.detections);
  const frames = num(result.frames);
  const warning = str(result.warning);
  // With tracking: each object once (tracks too short to count are left out).
  const unique = "unique" in result ? record(result.unique) : null;
  const uniqueAre = str(result.unique_are);
  const summaryId = useResultId("video-summary");
  const captionId = useResultId("video-counts-caption");
  return (
    <ResultSection title="Annotated video">
      {warning && (
        <p className="alert alert-warning" role="note">
          {warning}
        </p>
      )}
      <VideoViewer job={job} describedBy={summaryId} />
      <SummaryList
        label="Video"
        items={[
          { label: "Frames", value: frames },
          { label: "Duration", value: num(result.duration_s) !== null ? formatQuantity(num(result.duration_s), "s", 1) : null },
          { label: "Frame rate", value: num(result.fps) !== null ? formatQuantity(num(result.fps), "fps", 1) : null },
          { label: "Size", value: num(result.width) && num(result.height) ? `${formatNumber(num(result.width))} × ${formatQuantity(num(result.height), "px")}` : null },
          { label: "Time per frame", value: num(result.ms_per_frame) !== null ? formatQuantity(num(result.ms_per_frame), "ms", 1) : null },
        ]}
      />
      <div id={summaryId}>
        {counts.length === 0 ? (
          <p>No objects were found in the video.</p>
        ) : (
          <>
            <ScrollTable captionId={captionId}>
              <table className="table">
                <caption id={captionId}>Objects per class</caption>
                <thead>
                  <tr>
                    <th scope="col">Class</th>
                    {unique && (
                      <th scope="col" className="num">
                        Unique objects
                      </th>
                    )}
                    <th scope="col" className="num">Most in one frame</th>
                    <th scope="col" className="num">Frames with it</th>
                    <th scope="col" className="num">Detections (all frames)</th>
                  </tr>
                </thead>
                <tbody>
                  {counts.map(([label, count]) => {
                    const seen = num(framesWith[label]);
                    return (
                      <tr key={label}>
                        <td>{label}</td>
                        {unique && <td className="num">{formatNumber(num(unique[label]) ?? 0)}</td>}
                        <td className="num">{formatNumber(count)}</td>
                        <td className="num">
                          {formatNumber(seen)}
                          {seen !== null && frames ? <span className="muted"> ({formatPercent(seen / frames)})</span> : null}
                        </td>
                        <td className="num">{formatNumber(num(detections[label]))}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </ScrollTable>
            {unique && uniqueAre && <p className="muted">Unique objects: {uniqueAre}.</p>}
          </>
        )}
      </div>
    </ResultSection>
  );
}
