import "../gallery.css";

/** A small pictogram per task (decorative: the task is written next to it). */
export function TaskIcon({ task }: { task: string }) {
  let path: string;
  switch (task) {
    case "object-detection":
      path = "M3 7V4h3M18 4h3v3M21 17v3h-3M6 20H3v-3M7 8h6v6H7zM11 12h6v5h-6z";
      break;
    case "face-gender":
      path = "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0";
      break;
    case "skin-segmentation":
      path = "M12 3c-4 0-7 3-7 7.5S8 21 12 21s7-6 7-10.5S16 3 12 3zM9 10h6M9 14h6";
      break;
    default:
      path = "M4 5h16v14H4zM4 15l4-4 4 4 3-3 5 5";
  }
  return (
    <svg className="task-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={path} fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
