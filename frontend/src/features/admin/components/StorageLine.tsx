import type { StorageSpace } from "@/api/types";
import { formatBytes } from "@/lib/format";

/** The data folder's free space; an alert once it is below the reserve. */
export function StorageLine({ storage }: { storage: StorageSpace }) {
  const text = `Storage: ${formatBytes(storage.free_bytes)} free of ${formatBytes(storage.total_bytes)} in the data folder (reserve ${formatBytes(storage.reserve_bytes)})`;
  if (!storage.low) return <p className="muted">{text}.</p>;
  return (
    <p className="alert alert-error" role="alert">
      {text}: below the reserve, so uploads and contact messages are refused until space is freed.
    </p>
  );
}
