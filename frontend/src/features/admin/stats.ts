import type { StatsDayRow } from "@/api/types";

export interface DayTotals {
  day: string;
  succeeded: number;
  failed: number;
  other: number; // cancelled, queued, running
  count: number;
}

/** per_day rows are per (day, model): summed per day for the chart, days in order. */
export function dailyTotals(rows: StatsDayRow[], model = ""): DayTotals[] {
  const days = new Map<string, DayTotals>();
  for (const row of rows) {
    if (model && row.model !== model) continue;
    const entry = days.get(row.day) ?? { day: row.day, succeeded: 0, failed: 0, other: 0, count: 0 };
    entry.succeeded += row.succeeded;
    entry.failed += row.failed;
    entry.other += Math.max(0, row.count - row.succeeded - row.failed);
    entry.count += row.count;
    days.set(row.day, entry);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}
