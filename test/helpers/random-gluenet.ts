/** A GlueNet folder whose aligner has seeded random weights (its initialisation): for tests of the plumbing around a GlueNet, not of what it learns. */
import { fill } from '../../src/engine/init.js';
import { saveGlueNet } from '../../src/gluenet/checkpoint.js';
import { parseConfig } from '../../src/gluenet/config.js';
import { partSpecs } from '../../src/gluenet/specs.js';
import { Rng } from '../../src/util/rng.js';

export async function saveRandomGlueNet(dir: string, cfgRaw: Record<string, unknown>, seed: number): Promise<void> {
  const cfg = parseConfig(cfgRaw);
  const rng = new Rng(seed);
  const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  await saveGlueNet(dir, cfg, new Map(partSpecs(cfg, 'aligner').map((p) => [p.name, fill(p.init, size(p.shape), rng)])));
}
