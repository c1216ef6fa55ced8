// A definition list of the scalar values of a result (numbers, text, flags).
import { formatNumber } from "@/lib/format";

export interface SummaryItem {
  label: string;
  value: string | number | null | undefined;
}

export function SummaryList({ items, label }: { items: SummaryItem[]; label?: string }) {
  const shown = items.filter((item) => item.value !== null && item.value !== undefined && item.value !== "");
  if (shown.length === 0) return null;
  return (
    <dl className="summary-list" aria-label={label}>
      {shown.map((item) => (
        <div key={item.label}>
          <dt>{item.label}</dt>
          <dd>{typeof item.value === "number" ? formatNumber(item.value, 3) : item.value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The scalar top-level values of an object, labelled by their keys. */
export function scalarItems(record: Record<string, unknown>, skip: string[] = []): SummaryItem[] {
  return Object.entries(record)
    .filter(([key, value]) => !skip.includes(key) && ["string", "number", "boolean"].includes(typeof value))
    .map(([key, value]) => ({ label: key.replace(/_/g, " "), value: typeof value === "boolean" ? (value ? "yes" : "no") : (value as string | number) }));
}
