import { Component, type ReactNode } from "react";
import type { Job } from "@/api/types";
import { ArtifactList } from "./ArtifactList";
import { GenericResult } from "./GenericResult";
import { JsonView } from "./JsonView";
import { knownKind, VIEWERS } from "./resultKind";

/** The finished job's result with the viewer of its result kind, the JSON and the files.
 * A viewer that throws on an unexpected shape falls back to the generic view. */
export function ResultView({ job }: { job: Job }) {
  return (
    <div className="result-view">
      <ResultViewer job={job} />
      <ArtifactList job={job} />
      {job.result && <JsonView value={job.result} />}
    </div>
  );
}

/** The result with the viewer of its kind alone (beside another result in a comparison). */
export function ResultViewer({ job }: { job: Job }) {
  const kind = knownKind(job.result_kind);
  const Viewer = VIEWERS[kind];
  return (
    <ViewerBoundary fallback={<GenericResult job={job} />} resetKey={`${job.id}:${kind}`}>
      <Viewer job={job} />
    </ViewerBoundary>
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
