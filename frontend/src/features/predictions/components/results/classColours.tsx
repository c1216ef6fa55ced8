// The colours of a result's classes (src/lib/classColour.ts): its own, or, for results shown
// side by side (a comparison), those of all their classes together, so that a class has one
// colour on both sides.
import { createContext, useContext, type ReactNode } from "react";
import { classColours } from "@/lib/classColour";
import { record } from "./shape";

const Shared = createContext<Record<string, string> | null>(null);

export function SharedClassColours({ labels, children }: { labels: Iterable<string>; children: ReactNode }) {
  return <Shared.Provider value={classColours(labels)}>{children}</Shared.Provider>;
}

/** The classes a result names: those it counts, and those of its items. */
export function resultClasses(result: unknown): string[] {
  const { counts, items } = record(result);
  const labels = Array.isArray(items) ? items.map((item) => record(item).label) : [];
  return [...Object.keys(record(counts)), ...labels.filter((label): label is string => typeof label === "string")];
}

/** The colour of each of `labels`: as the results shown beside this one share them, else as
 * this result's own classes are coloured together. */
export function useClassColours(labels: Iterable<string>): Record<string, string> {
  const shared = useContext(Shared);
  const own = classColours(labels);
  return shared ? { ...own, ...shared } : own;
}
