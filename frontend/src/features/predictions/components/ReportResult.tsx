import { useId, useState, type FormEvent } from "react";
import type { Job, ModelCard } from "@/api/types";
import { ErrorMessage } from "@/components/ErrorMessage";
import { formatPercent } from "@/lib/format";
import {
  batchFiles,
  isBatch,
  NOTE_MAX,
  reportBody,
  reportClasses,
  reportItems,
  reportKind,
  useReportResult,
  type ReportItem,
} from "../report";
import "./ReportResult.css";

/** "Report a wrong result": a note, and the right answer where the result has one to give: a
 * classification's class, or for detections and faces the boxes that are wrong (marked in
 * the list) with their right class or gender. The report goes to the administrators. */
export function ReportResult({ job, model }: { job: Job; model?: ModelCard }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState("");
  const [file, setFile] = useState<number | null>(null);
  const [label, setLabel] = useState("");
  const [wrong, setWrong] = useState<Map<number, string>>(new Map());
  const report = useReportResult(job.id);
  const kind = reportKind(job, model);
  const batch = isBatch(job);
  const items = reportItems(job, kind, file);
  const classes = reportClasses(job, kind, model);
  const onImage = !batch || file !== null; // a correction is for one image

  if (report.isSuccess) {
    return (
      <section className="panel report-result" aria-labelledby={`${id}-heading`}>
        <h2 id={`${id}-heading`}>Report a wrong result</h2>
        <p role="status">Thank you: your report was sent to the administrators, who use such reports to improve the model.</p>
      </section>
    );
  }

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    report.mutate(reportBody({ note, file, label, wrong }, kind, items));
  };
  const chooseFile = (value: string) => {
    setFile(value === "" ? null : Number(value));
    setLabel("");
    setWrong(new Map());
  };
  const toggle = (item: ReportItem) => {
    const next = new Map(wrong);
    if (next.has(item.index)) next.delete(item.index);
    else next.set(item.index, "");
    setWrong(next);
  };
  const rightClass = (index: number, value: string) => setWrong(new Map(wrong).set(index, value));

  return (
    <section className="panel report-result" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Report a wrong result</h2>
      <p>Is something wrong with this result? Tell us, and the administrators can use it to improve the model.</p>
      <button type="button" className="button secondary" aria-expanded={open} aria-controls={`${id}-form`} onClick={() => setOpen(!open)}>
        Report a wrong result
      </button>
      {open && (
        <form id={`${id}-form`} className="form" onSubmit={onSubmit} noValidate>
          {batch && (
            <div className="field">
              <label htmlFor={`${id}-file`}>Which file</label>
              <select id={`${id}-file`} value={file ?? ""} onChange={(e) => chooseFile(e.target.value)}>
                <option value="">All the files</option>
                {batchFiles(job).map((f) => (
                  <option key={f.index} value={f.index} disabled={f.failed}>
                    {f.index + 1}. {f.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          {onImage && kind === "classification" && classes.length > 0 && (
            <div className="field">
              <label htmlFor={`${id}-label`}>The right class (optional)</label>
              <select id={`${id}-label`} value={label} onChange={(e) => setLabel(e.target.value)}>
                <option value="">I do not know</option>
                {classes.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </div>
          )}
          {onImage && (kind === "detections" || kind === "faces") && (
            <WrongBoxes kind={kind} items={items} classes={classes} wrong={wrong} onToggle={toggle} onRightClass={rightClass} />
          )}
          <div className="field">
            <label htmlFor={`${id}-note`}>What is wrong{kind === "other" ? "" : " (optional)"}</label>
            <textarea
              id={`${id}-note`}
              rows={3}
              maxLength={NOTE_MAX}
              value={note}
              onChange={(e) => setNote(e.target.value)}
              aria-describedby={`${id}-note-hint`}
            />
            <p id={`${id}-note-hint`} className="hint">
              {note.length} of {NOTE_MAX} characters.
            </p>
          </div>
          {report.isError && <ErrorMessage error={report.error} />}
          <div className="button-row">
            <button type="submit" className="button primary" disabled={report.isPending}>
              {report.isPending ? "Sending…" : "Send the report"}
            </button>
            <button type="button" className="button secondary" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

interface WrongBoxesProps {
  kind: "detections" | "faces";
  items: ReportItem[];
  classes: string[];
  wrong: Map<number, string>;
  onToggle: (item: ReportItem) => void;
  onRightClass: (index: number, value: string) => void;
}

function WrongBoxes({ kind, items, classes, wrong, onToggle, onRightClass }: WrongBoxesProps) {
  const id = useId();
  const nouns = kind === "faces" ? "faces" : "boxes";
  if (items.length === 0) return <p className="muted">The model found nothing here: say in the note what it missed.</p>;
  return (
    <fieldset className="report-boxes">
      <legend>Which {nouns} are wrong? (optional)</legend>
      <ul>
        {items.map((item) => {
          const marked = wrong.has(item.index);
          const name = `${kind === "faces" ? "Face" : "Box"} ${item.index + 1}: ${item.label}`;
          return (
            <li key={item.index} className={marked ? "marked" : undefined}>
              <button type="button" className="button secondary" aria-pressed={marked} onClick={() => onToggle(item)}>
                {name}
                {item.confidence !== null && <span className="muted"> {formatPercent(item.confidence)}</span>}
                <span className="visually-hidden">{marked ? ", marked as wrong" : ""}</span>
              </button>
              {marked && (
                <span className="field inline">
                  <label htmlFor={`${id}-${item.index}`}>{kind === "faces" ? "Right gender" : "Right class"}</label>
                  <select id={`${id}-${item.index}`} value={wrong.get(item.index)} onChange={(e) => onRightClass(item.index, e.target.value)}>
                    <option value="">{kind === "faces" ? "Not a face" : "Nothing is there"}</option>
                    {classes.map((c) => (
                      <option key={c} value={c}>
                        {c}
                      </option>
                    ))}
                  </select>
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
