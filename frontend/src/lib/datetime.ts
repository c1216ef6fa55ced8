// What an <input type="datetime-local"> holds: local time, "YYYY-MM-DDTHH:mm".

export const LOCAL_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

/** A datetime-local value (the browser's time zone) as an ISO instant in UTC; "" if invalid. */
export function localToIso(value: string): string {
  if (!LOCAL_DATETIME.test(value)) return "";
  const date = new Date(value); // no zone: ECMAScript reads it as local time
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}
