import { STATE_TEXT } from "../describe";
import type { VersionState } from "../types";

export function VersionBadge({ state }: { state: VersionState }) {
  return <span className={`catalog-badge catalog-badge-${state}`}>{STATE_TEXT[state]}</span>;
}
