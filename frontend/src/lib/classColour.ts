// One colour per class name, wherever a result is shown: the boxes over an image or a video,
// the class toggles and the video timeline here, and the boxes the server draws on annotated
// images and videos (backend/modelgallery/media/colours.py follows the same rule; a test
// holds both to the same examples, classColour.examples.json).
//
// A few names have a colour of their own (a face's gender, "uncertain"); any other name gets
// one of PALETTE by the FNV-1a hash of its UTF-8 bytes, so that a class keeps its colour in
// every job and every model without a list of classes to agree on. The classes of one result
// are coloured together (classColours): a class keeps its own colour unless an earlier class
// took it or a neighbouring hue (person and bus: violet and fuchsia), so that two classes
// shown side by side never share a colour while colours are left.

/** Twelve hues apart (red to slate), each dark enough to carry white label text at 4.5:1. */
export const PALETTE: readonly string[] = [
  "#b91c1c",
  "#c2410c",
  "#854d0e",
  "#4d7c0f",
  "#047857",
  "#0e7490",
  "#1d4ed8",
  "#4338ca",
  "#7c3aed",
  "#a21caf",
  "#be185d",
  "#475569",
];

export const FIXED: Readonly<Record<string, string>> = { woman: "#be185d", man: "#1d4ed8", uncertain: "#4b5563", face: "#047857" };

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** A taken colour's stand-ins: 5 of the 12 hues (150 degrees) on, then 10, 3, ... */
const STEP = 5;
const encoder = new TextEncoder();

/** The colour of the class named `label`, as `#rrggbb`. */
export function classColour(label: string): string {
  if (Object.hasOwn(FIXED, label)) return FIXED[label];
  let digest = FNV_OFFSET;
  for (const byte of encoder.encode(label)) digest = Math.imul(digest ^ byte, FNV_PRIME) >>> 0;
  return PALETTE[digest % PALETTE.length];
}

/** The colours of the classes one result names (its items' labels, or a video's classes).
 * The names with a colour of their own take it first; then the others, in sort order (UTF-16
 * code units), each the first colour, from its own on in steps of STEP hues, that is free
 * with both its neighbours in PALETTE; else the first that is free; else its own. The
 * server's media/colours.py follows the same rule. */
export function classColours(labels: Iterable<string>): Record<string, string> {
  const fixedFirst = (name: string) => (Object.hasOwn(FIXED, name) ? 0 : 1);
  const names = [...new Set(labels)].sort((a, b) => fixedFirst(a) - fixedFirst(b) || (a < b ? -1 : a > b ? 1 : 0));
  const size = PALETTE.length;
  const taken = new Set<number>(); // indexes in PALETTE
  const clear = (i: number) => ![(i + size - 1) % size, i, (i + 1) % size].some((j) => taken.has(j));
  const colours: Record<string, string> = {};
  for (const name of names) {
    let colour = classColour(name);
    if (!Object.hasOwn(FIXED, name)) {
      const start = PALETTE.indexOf(colour);
      const free = Array.from({ length: size }, (_, k) => (start + STEP * k) % size).filter((i) => !taken.has(i));
      colour = PALETTE[free.find(clear) ?? free[0] ?? start];
    }
    colours[name] = colour;
    if (PALETTE.includes(colour)) taken.add(PALETTE.indexOf(colour));
  }
  return colours;
}
