// One colour per class name, wherever a result is shown: the boxes over an image or a video,
// the class toggles and the video timeline here, and the boxes the server draws on annotated
// images and videos (backend/modelgallery/media/colours.py follows the same rule; a test
// holds both to the same examples, classColour.examples.json).
//
// A few names have a colour of their own (a face's gender, "uncertain"); any other name gets
// one of PALETTE by the FNV-1a hash of its UTF-8 bytes, so that a class keeps its colour in
// every job and every model without a list of classes to agree on. The classes of one result
// are coloured together (classColours): one whose colour an earlier class took gets a free
// one, so that two classes shown side by side never share a colour while colours are left.

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
/** A taken colour's stand-in: 5 of the 12 hues (150 degrees) on, then 10, 3, ... */
const STEP = 5;
const encoder = new TextEncoder();

/** The colour of the class named `label`, as `#rrggbb`. */
export function classColour(label: string): string {
  if (Object.hasOwn(FIXED, label)) return FIXED[label];
  let digest = FNV_OFFSET;
  for (const byte of encoder.encode(label)) digest = Math.imul(digest ^ byte, FNV_PRIME) >>> 0;
  return PALETTE[digest % PALETTE.length];
}

/** The colours of the classes one result names (its items' labels, or a video's classes):
 * the names with a colour of their own first, then the others in sort order, each its own
 * colour when free, else the first free one STEP hues on, else its own. */
export function classColours(labels: Iterable<string>): Record<string, string> {
  const fixedFirst = (name: string) => (Object.hasOwn(FIXED, name) ? 0 : 1);
  const names = [...new Set(labels)].sort((a, b) => fixedFirst(a) - fixedFirst(b) || (a < b ? -1 : a > b ? 1 : 0));
  const colours: Record<string, string> = {};
  const taken = new Set<string>();
  for (const name of names) {
    let colour = classColour(name);
    if (taken.has(colour) && !Object.hasOwn(FIXED, name)) {
      const start = PALETTE.indexOf(colour);
      for (let k = 1; k < PALETTE.length; k++) {
        const other = PALETTE[(start + STEP * k) % PALETTE.length];
        if (!taken.has(other)) {
          colour = other;
          break;
        }
      }
    }
    colours[name] = colour;
    taken.add(colour);
  }
  return colours;
}
