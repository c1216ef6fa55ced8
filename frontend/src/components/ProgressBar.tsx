import "./ProgressBar.css";

interface Props {
  /** 0..1, or null when it is not known (an indeterminate bar) */
  value: number | null;
  label: string;
  id?: string;
}

/** A native <progress> (announced by screen readers, no inline style needed). */
export function ProgressBar({ value, label, id }: Props) {
  return (
    <progress
      id={id}
      className="progress"
      max={1}
      value={value === null ? undefined : Math.min(1, Math.max(0, value))}
      aria-label={label}
    />
  );
}
