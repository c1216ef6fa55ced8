// The panel a viewer draws its result in. On a job's page it is the page's one result: an
// h2 with the id "result-heading" (pages and tests find it by that id). Beside another
// result (a comparison) each panel sits in a ResultScope: ids of its own, so that two
// results on one page never share an id, and a heading level under the comparison's.
import { createContext, useContext, useId, type ReactNode } from "react";

type Level = 2 | 3 | 4 | 5 | 6;

interface Scope {
  prefix: string;
  level: Level;
}

const ScopeContext = createContext<Scope | null>(null);

/** Results drawn inside get their own ids and headings of `level`. */
export function ResultScope({ level, children }: { level: Level; children: ReactNode }) {
  const prefix = useId();
  return <ScopeContext.Provider value={{ prefix, level }}>{children}</ScopeContext.Provider>;
}

/** An id that is unique on the page: `name` itself outside a scope. */
export function useResultId(name: string): string {
  const scope = useContext(ScopeContext);
  return scope ? `${scope.prefix}-${name}` : name;
}

export function ResultSection({ title, children }: { title: string; children: ReactNode }) {
  const scope = useContext(ScopeContext);
  const id = useResultId("result-heading");
  const Heading = `h${scope?.level ?? 2}` as const;
  return (
    <section className="panel" aria-labelledby={id}>
      <Heading id={id}>{title}</Heading>
      {children}
    </section>
  );
}
