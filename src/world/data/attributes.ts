/**
 * The attributes of the miniature world: one object per image, described by four categorical
 * attributes. Every combination is valid (10 objects x 8 colours x 2 sizes x 9 positions = 1440).
 *
 * The tables here are the single source of truth for indices; English names are the canonical labels
 * that captions, translations and evaluation compare against.
 */

/** One world scene. Each field is an index into the matching table below. */
export interface Attributes {
  object: number; // index into OBJECTS
  colour: number; // index into COLOURS
  size: number; // index into SIZES
  position: number; // index into POSITIONS (row-major 3x3 grid)
}

export type AttributeName = keyof Attributes;
export const ATTRIBUTE_NAMES: readonly AttributeName[] = ['object', 'colour', 'size', 'position'];

/** Which attributes a caption names; evaluation scores only those. */
export type NamedAttributes = Record<AttributeName, boolean>;

export const ALL_NAMED: Readonly<NamedAttributes> = { object: true, colour: true, size: true, position: true };

/**
 * Objects: icons chosen for silhouettes that stay distinct at 8 px, each with a characteristic sound
 * (see sounds.ts).
 */
export const OBJECTS = ['bell', 'bird', 'car', 'clock', 'drop', 'star', 'tree', 'house', 'fish', 'key'] as const;

export interface ColourSpec {
  name: string;
  rgb: readonly [number, number, number];
}

/** Saturated colours far apart in RGB (smallest pairwise distance ~95, orange vs yellow). */
export const COLOURS: readonly ColourSpec[] = [
  { name: 'red', rgb: [220, 25, 25] },
  { name: 'orange', rgb: [250, 125, 0] },
  { name: 'yellow', rgb: [240, 215, 0] },
  { name: 'green', rgb: [25, 160, 45] },
  { name: 'blue', rgb: [25, 70, 230] },
  { name: 'purple', rgb: [135, 35, 175] },
  { name: 'pink', rgb: [255, 110, 200] },
  { name: 'black', rgb: [25, 25, 25] },
];

export const SIZES = ['small', 'large'] as const;

/** 3x3 grid, row-major: index = row * 3 + column. */
export const POSITIONS = ['top left', 'top', 'top right', 'left', 'centre', 'right', 'bottom left', 'bottom', 'bottom right'] as const;

export const COUNTS: Readonly<Record<AttributeName, number>> = {
  object: OBJECTS.length,
  colour: COLOURS.length,
  size: SIZES.length,
  position: POSITIONS.length,
};

/** Number of distinct attribute combinations. */
export const NUM_COMBINATIONS = OBJECTS.length * COLOURS.length * SIZES.length * POSITIONS.length;

/** Grid row (0 top .. 2 bottom) and column (0 left .. 2 right) of a position index. */
export function positionCell(position: number): { row: number; col: number } {
  return { row: Math.floor(position / 3), col: position % 3 };
}

/** Throws a clear Error when an Attributes value is out of range or not an integer. */
export function checkAttributes(attrs: Attributes, where = 'attributes'): void {
  for (const name of ATTRIBUTE_NAMES) {
    const value = attrs[name];
    const count = COUNTS[name];
    if (!Number.isInteger(value) || value < 0 || value >= count) {
      throw new Error(`${where}: ${name} is ${String(value)}; expected an integer in [0, ${count - 1}]. Use the index tables in src/world/data/attributes.ts.`);
    }
  }
}

/** Index of a combination in the enumeration order (object slowest, position fastest). */
export function combinationIndex(attrs: Attributes): number {
  checkAttributes(attrs);
  return ((attrs.object * COLOURS.length + attrs.colour) * SIZES.length + attrs.size) * POSITIONS.length + attrs.position;
}

/** Inverse of combinationIndex. */
export function attributesFromIndex(index: number): Attributes {
  if (!Number.isInteger(index) || index < 0 || index >= NUM_COMBINATIONS) {
    throw new Error(`attributesFromIndex: index is ${String(index)}; expected an integer in [0, ${NUM_COMBINATIONS - 1}]`);
  }
  const position = index % POSITIONS.length;
  let rest = Math.floor(index / POSITIONS.length);
  const size = rest % SIZES.length;
  rest = Math.floor(rest / SIZES.length);
  const colour = rest % COLOURS.length;
  const object = Math.floor(rest / COLOURS.length);
  return { object, colour, size, position };
}

/** All combinations in enumeration order (see combinationIndex). */
export function enumerateCombinations(): Attributes[] {
  return Array.from({ length: NUM_COMBINATIONS }, (_, i) => attributesFromIndex(i));
}
