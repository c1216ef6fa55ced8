import { useEffect, useState } from "react";
import {
  applyTheme,
  followThemeChanges,
  nextThemeChoice,
  readThemeChoice,
  storeThemeChoice,
  type ThemeChoice,
} from "@/lib/theme";
import "./ThemeToggle.css";

const LABELS: Record<ThemeChoice, string> = { system: "System", light: "Light", dark: "Dark" };

/** The header's theme button: each press goes system → light → dark → system. */
export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(readThemeChoice);

  useEffect(() => followThemeChanges(setChoice), []);

  const change = () => {
    const next = nextThemeChoice(choice);
    storeThemeChoice(next);
    applyTheme(next);
    setChoice(next);
  };

  return (
    <button
      type="button"
      className="theme-toggle"
      onClick={change}
      title={`Colour theme: ${LABELS[choice]}. Press for ${LABELS[nextThemeChoice(choice)]}.`}
    >
      <ThemeIcon choice={choice} />
      <span className="visually-hidden">Theme:</span>{" "}
      <span className="theme-toggle-label">{LABELS[choice]}</span>
    </button>
  );
}

function ThemeIcon({ choice }: { choice: ThemeChoice }) {
  return (
    <svg className="theme-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {choice === "light" && (
        <>
          <circle cx="12" cy="12" r="4.5" />
          <path d="M12 2v2.5M12 19.5V22M2 12h2.5M19.5 12H22M4.9 4.9l1.8 1.8M17.3 17.3l1.8 1.8M4.9 19.1l1.8-1.8M17.3 6.7l1.8-1.8" />
        </>
      )}
      {choice === "dark" && <path d="M20 14.5A8.5 8.5 0 0 1 9.5 4a8.5 8.5 0 1 0 10.5 10.5Z" />}
      {choice === "system" && (
        <>
          <circle cx="12" cy="12" r="8.5" />
          <path className="theme-icon-fill" d="M12 3.5a8.5 8.5 0 0 1 0 17Z" />
        </>
      )}
    </svg>
  );
}
