import { Component, type ReactNode } from "react";
import type { Job } from "@/api/types";
import { ArtifactList } from "./ArtifactList";
import { BatchResult } from "./BatchResult";
import { DetectionResult } from "./DetectionResult";
import { FaceResult } from "./FaceResult";
import { GenericResult } from "./GenericResult";
import { JsonView } from "./JsonView";
import { resultKind } from "./resultKind";
import { SkinResult } from "./SkinResult";
import { VideoResult } from "./VideoResult";

/** The finished job's result with the viewer its shape calls for, the JSON and the files.
 * A viewer that throws on an unexpected shape falls back to the generic view. */
export function ResultView({ job, task }: { job: Job; task?: string }) {
  const kind = resultKind(job, task);
  const viewers = { batch: BatchResult, video: VideoResult, faces: FaceResult, detection: DetectionResult, skin: SkinResult, generic: GenericResult };
  const Viewer = viewers[kind];
  return (
    <div className="result-view">
      <ViewerBoundary fallback={<GenericResult job={job} />} resetKey={`${job.id}:${kind}`}>
        <Viewer job={job} />
      </ViewerBoundary>
      {job.result && <JsonView value={job.result} />}
      <ArtifactList artifacts={job.artifacts} inputs={job.inputs} />
    </div>
  );
}

interface BoundaryProps {
  fallback: ReactNode;
  resetKey: string;
  children: ReactNode;
}

class ViewerBoundary extends Component<BoundaryProps, { failed: boolean; key: string }> {
  state = { failed: false, key: this.props.resetKey };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  static getDerivedStateFromProps(props: BoundaryProps, state: { failed: boolean; key: string }) {
    return props.resetKey !== state.key ? { failed: false, key: props.resetKey } : null;
  }

  componentDidCatch(error: unknown) {
    console.error("result viewer failed; showing the generic view", error);
  }

  render() {
    return this.state.failed ? this.props.fallback : this.props.children;
  }
}
