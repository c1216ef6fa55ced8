import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { applyTheme, readThemeChoice, THEME_KEY } from "@/lib/theme";
import { ThemeToggle } from "./ThemeToggle";

type Listener = () => void;
let systemDark = false;
let listeners: Listener[] = [];

function fakeMatchMedia(query: string) {
  return {
    get matches() {
      return query.includes("dark") && systemDark;
    },
    media: query,
    addEventListener: (_: string, listener: Listener) => listeners.push(listener),
    removeEventListener: (_: string, listener: Listener) => {
      listeners = listeners.filter((l) => l !== listener);
    },
  };
}

beforeEach(() => {
  systemDark = false;
  listeners = [];
  vi.stubGlobal("matchMedia", vi.fn(fakeMatchMedia));
  window.localStorage.clear();
  delete document.documentElement.dataset.theme;
});
afterEach(() => vi.unstubAllGlobals());

const theme = () => document.documentElement.dataset.theme;

describe("theme", () => {
  it("follows the system until a choice is made", () => {
    expect(readThemeChoice()).toBe("system");
    expect(applyTheme()).toBe("light");
    systemDark = true;
    expect(applyTheme()).toBe("dark");
    window.localStorage.setItem(THEME_KEY, "light");
    expect(applyTheme()).toBe("light");
    window.localStorage.setItem(THEME_KEY, "nonsense");
    expect(readThemeChoice()).toBe("system");
  });
});

describe("ThemeToggle", () => {
  it("cycles system, light, dark and remembers the choice", async () => {
    const user = userEvent.setup();
    systemDark = true;
    applyTheme();
    render(<ThemeToggle />);
    const button = screen.getByRole("button", { name: "Theme: System" });
    expect(theme()).toBe("dark");

    await user.click(button);
    expect(button).toHaveAccessibleName("Theme: Light");
    expect(theme()).toBe("light");
    expect(window.localStorage.getItem(THEME_KEY)).toBe("light");

    await user.click(button);
    expect(button).toHaveAccessibleName("Theme: Dark");
    expect(theme()).toBe("dark");
    expect(window.localStorage.getItem(THEME_KEY)).toBe("dark");

    await user.click(button);
    expect(button).toHaveAccessibleName("Theme: System");
    expect(window.localStorage.getItem(THEME_KEY)).toBeNull();
    expect(theme()).toBe("dark");
  });

  it("follows a change of the system's setting while on system", () => {
    render(<ThemeToggle />);
    expect(theme()).toBe(undefined); // set by public/theme.js or main.tsx, not the button
    systemDark = true;
    act(() => listeners.forEach((listener) => listener()));
    expect(theme()).toBe("dark");
    systemDark = false;
    act(() => listeners.forEach((listener) => listener()));
    expect(theme()).toBe("light");
  });
});
