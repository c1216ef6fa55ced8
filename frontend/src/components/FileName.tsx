// A file name that wraps where a person would break it: a short one not at all, a long one
// after its separators (- _ . and spaces: "patient_0042-t1_mprage.nii.gz" →
// "patient_|0042-|t1_|mprage.|nii.|gz"), never mid-word unless one part alone is wider than its
// box (then the CSS's break-word is the last resort).
import { Fragment } from "react";
import "./FileName.css";

/** The parts of a name, each ending with its separators. */
export function nameParts(name: string): string[] {
  return name.match(/[^-_.\s]*(?:[-_.\s]+|$)/g)?.filter(Boolean) ?? [name];
}

/** Names up to this long keep to one line: "ch2.nii.gz" is not worth breaking. */
const SHORT = 24;

export function FileName({ name }: { name: string }) {
  if (name.length <= SHORT) return <span className="file-name">{name}</span>;
  const parts = nameParts(name);
  return (
    <span className="file-name">
      {parts.map((part, index) => (
        <Fragment key={index}>
          {part}
          {index < parts.length - 1 && <wbr />}
        </Fragment>
      ))}
    </span>
  );
}
