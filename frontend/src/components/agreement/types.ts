// What the agreement figures and a pair of results side by side are given: the names of the
// two sides as people read them ("Version 1 (live)", "Object detection (YOLOv8 nano)").
import type { ComponentType } from "react";
import type { Job } from "@/api/types";

export interface PairLabels {
  /** the reference: the live version, or the prediction that was made first */
  baseline: string;
  /** what is compared with it: the candidate version, or the other model */
  candidate: string;
}

/** Two results of the same input, side by side, each drawn by its result viewer. The viewers
 * belong to the predictions feature; the app passes this component to the pages that need it. */
export interface ResultPairProps {
  baseline: Job;
  candidate: Job;
  labels: PairLabels;
  /** the level of each side's heading (the viewers' own headings come one below) */
  headingLevel: 3 | 4 | 5;
}

export type ResultPairComponent = ComponentType<ResultPairProps>;
