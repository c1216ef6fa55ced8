import { TextField } from "@/components/TextField";
import type { ShareDraft } from "../forms";

interface Props {
  idPrefix: string;
  draft: ShareDraft;
  onChange: (draft: ShareDraft) => void;
  problems: { canary?: string; shadow?: string; shares?: string };
}

/** The canary and shadow shares, in percent. */
export function ShareFields({ idPrefix, draft, onChange, problems }: Props) {
  return (
    <>
      <TextField
        id={`${idPrefix}-canary`}
        label="Canary share (%)"
        type="text"
        inputMode="decimal"
        value={draft.canary}
        onChange={(canary) => onChange({ ...draft, canary })}
        hint="Of live predictions, run on the candidate and shown to users; the same account (or visitor's address) keeps one version."
        error={problems.canary}
      />
      <TextField
        id={`${idPrefix}-shadow`}
        label="Shadow share (%)"
        type="text"
        inputMode="decimal"
        value={draft.shadow}
        onChange={(shadow) => onChange({ ...draft, shadow })}
        hint="Of the live version's predictions, also run on the candidate in the background, never shown to users."
        error={problems.shadow ?? problems.shares}
      />
    </>
  );
}
