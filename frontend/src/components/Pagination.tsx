import "./Pagination.css";

interface Props {
  offset: number;
  limit: number;
  count: number;
  onChange: (offset: number) => void;
  label?: string;
}

export function Pagination({ offset, limit, count, onChange, label = "Pages" }: Props) {
  if (count <= limit && offset === 0) return null;
  const first = count === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, count);
  return (
    <nav className="pagination" aria-label={label}>
      <button type="button" className="button secondary" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        Previous
      </button>
      <span aria-live="polite">
        {first}–{last} of {count}
      </span>
      <button type="button" className="button secondary" disabled={offset + limit >= count} onClick={() => onChange(offset + limit)}>
        Next
      </button>
    </nav>
  );
}
