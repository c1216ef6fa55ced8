import "./results.css";

export function JsonView({ value, summary = "All result data (JSON)", open = false }: { value: unknown; summary?: string; open?: boolean }) {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? "null";
  } catch {
    text = String(value);
  }
  return (
    <details className="json-view" open={open}>
      <summary>{summary}</summary>
      <pre tabIndex={0}>{text}</pre>
    </details>
  );
}
