// The colour theme: "system" follows prefers-color-scheme, "light" and "dark" are a person's
// choice, remembered in this browser (localStorage). <html data-theme> holds the theme in use;
// public/theme.js sets it before the first paint with the same key and rules.

export type ThemeChoice = "system" | "light" | "dark";
export type Theme = "light" | "dark";

export const THEME_KEY = "theme";
export const THEME_CHOICES: readonly ThemeChoice[] = ["system", "light", "dark"];
const DARK_QUERY = "(prefers-color-scheme: dark)";

export function readThemeChoice(): ThemeChoice {
  try {
    const stored = window.localStorage.getItem(THEME_KEY);
    return stored === "light" || stored === "dark" ? stored : "system";
  } catch {
    return "system"; // storage blocked
  }
}

export function storeThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === "system") window.localStorage.removeItem(THEME_KEY);
    else window.localStorage.setItem(THEME_KEY, choice);
  } catch {
    // storage blocked: the choice lasts for this page only
  }
}

function systemIsDark(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia(DARK_QUERY).matches;
}

export function resolveTheme(choice: ThemeChoice): Theme {
  if (choice === "system") return systemIsDark() ? "dark" : "light";
  return choice;
}

export function applyTheme(choice: ThemeChoice = readThemeChoice()): Theme {
  const theme = resolveTheme(choice);
  document.documentElement.dataset.theme = theme;
  return theme;
}

export function nextThemeChoice(choice: ThemeChoice): ThemeChoice {
  return THEME_CHOICES[(THEME_CHOICES.indexOf(choice) + 1) % THEME_CHOICES.length];
}

/** Follow the system's setting while the choice is "system", and a choice made in another
 * tab; returns the function that stops listening. */
export function followThemeChanges(onChange: (choice: ThemeChoice) => void = () => {}): () => void {
  const update = () => {
    const choice = readThemeChoice();
    applyTheme(choice);
    onChange(choice);
  };
  const media = typeof window.matchMedia === "function" ? window.matchMedia(DARK_QUERY) : null;
  const onStorage = (event: StorageEvent) => {
    if (event.key === THEME_KEY || event.key === null) update();
  };
  media?.addEventListener("change", update);
  window.addEventListener("storage", onStorage);
  return () => {
    media?.removeEventListener("change", update);
    window.removeEventListener("storage", onStorage);
  };
}
