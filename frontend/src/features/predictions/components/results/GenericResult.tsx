import type { Job } from "@/api/types";
import { SummaryList, scalarItems } from "./SummaryList";
import { record } from "./shape";
import { ResultSection } from "./ResultSection";
import "./results.css";

/** Any result whose shape no viewer knows: its plain values, the images the model wrote. */
export function GenericResult({ job }: { job: Job }) {
  const result = record(job.result);
  const images = job.artifacts.filter((a) => a.media_type.startsWith("image/"));
  const videos = job.artifacts.filter((a) => a.media_type.startsWith("video/"));
  return (
    <ResultSection title="Result">
      <SummaryList label="Result values" items={scalarItems(result)} />
      {images.length > 0 && (
        <div className="gallery-grid compact">
          {images.map((image) => (
            <figure key={image.name} className="result-figure">
              <img src={image.url} alt={`Output ${image.name}`} loading="lazy" />
              <figcaption>{image.name}</figcaption>
            </figure>
          ))}
        </div>
      )}
      {videos.map((video) => (
        <video key={video.name} className="result-video" controls preload="metadata" src={video.url}>
          <a href={video.url}>Download {video.name}</a>
        </video>
      ))}
    </ResultSection>
  );
}
