// What the account forms check before anything is sent; the server checks it again.
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

export type Errors<K extends string> = Partial<Record<K, string>>;

/** A new password, typed twice. */
export function checkNewPassword(password: string, again: string): Errors<"password" | "again"> {
  const errors: Errors<"password" | "again"> = {};
  if (password.length < PASSWORD_MIN) errors.password = `Use at least ${PASSWORD_MIN} characters.`;
  else if (password.length > PASSWORD_MAX) errors.password = `Use at most ${PASSWORD_MAX} characters.`;
  else if (again !== password) errors.again = "The two passwords differ; type the new one again.";
  return errors;
}

export function checkEmail(email: string): string | undefined {
  const trimmed = email.trim();
  if (!trimmed) return "Enter an e-mail address.";
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) return "Enter a valid e-mail address, like name@example.org.";
  return undefined;
}

const BROWSERS: [RegExp, string][] = [
  [/Edg\//, "Edge"],
  [/OPR\//, "Opera"],
  [/Firefox\//, "Firefox"],
  [/Chrom(e|ium)\//, "Chrome"],
  [/Safari\//, "Safari"],
  [/^curl\//, "curl"],
  [/^python-httpx\//, "Python (httpx)"],
];
const SYSTEMS: [RegExp, string][] = [
  [/Android/, "Android"],
  [/iPhone|iPad/, "iOS"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];

/** "Firefox on Linux" from a User-Agent header; the header itself when nothing is known. */
export function describeAgent(agent: string | null | undefined): string {
  if (!agent) return "Unknown browser";
  const browser = BROWSERS.find(([pattern]) => pattern.test(agent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(agent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? (system ? `A browser on ${system}` : agent.slice(0, 60));
}
