import type { Job } from "@/api/types";
import { DownloadButtons } from "./ArtifactList";
import { SummaryList } from "./SummaryList";
import { countMap, num, record, str } from "./shape";
import { VideoTimeline } from "./VideoTimeline";
import "./results.css";

export function VideoResult({ job }: { job: Job }) {
  const result = record(job.result);
  const video = job.artifacts.find((a) => a.media_type.startsWith("video/") && a.role === "annotated") ?? job.artifacts.find((a) => a.media_type.startsWith("video/"));
  const counts = countMap(result.counts);
  const framesWith = record(result.frames_with);
  const detections = record(result.detections);
  const frames = num(result.frames);
  const warning = str(result.warning);
  // With tracking: each object once (tracks too short to count are left out).
  const unique = "unique" in result ? record(result.unique) : null;
  const uniqueAre = str(result.unique_are);
  return (
    <section className="panel" aria-labelledby="result-heading">
      <h2 id="result-heading">Annotated video</h2>
      {warning && (
        <p className="alert alert-warning" role="note">
          {warning}
        </p>
      )}
      {video ? (
        <video className="result-video" controls preload="metadata" src={video.url} aria-describedby="video-summary">
          <a href={video.url}>Download the annotated video</a>
        </video>
      ) : (
        <p>This job has no video to play.</p>
      )}
      <SummaryList
        label="Video"
        items={[
          { label: "Frames", value: frames },
          { label: "Duration", value: num(result.duration_s) !== null ? `${result.duration_s} s` : null },
          { label: "Frame rate", value: num(result.fps) !== null ? `${result.fps} fps` : null },
          { label: "Size", value: num(result.width) && num(result.height) ? `${result.width} × ${result.height} px` : null },
          { label: "Time per frame", value: num(result.ms_per_frame) !== null ? `${result.ms_per_frame} ms` : null },
        ]}
      />
      <div id="video-summary">
        {counts.length === 0 ? (
          <p>No objects were found in the video.</p>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption>Objects per class</caption>
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
                      {unique && <td className="num">{num(unique[label]) ?? 0}</td>}
                      <td className="num">{count}</td>
                      <td className="num">
                        {seen ?? "–"}
                        {seen !== null && frames ? <span className="muted"> ({Math.round((seen / frames) * 100)}%)</span> : null}
                      </td>
                      <td className="num">{num(detections[label]) ?? "–"}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {unique && uniqueAre && <p className="muted">Unique objects: {uniqueAre}.</p>}
          </div>
        )}
        <VideoTimeline timeline={result.timeline} />
      </div>
      <DownloadButtons artifacts={job.artifacts} />
    </section>
  );
}
