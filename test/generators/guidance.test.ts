/**
 * The one guidance rule of the shared denoising loop (src/generators/denoise.ts), measured on the
 * UNet sessions themselves: guidance > 1 runs unconditional and conditional rows; guidance <= 1
 * (1, and below) runs one UNet row per image per step — for Stable Diffusion and the world alike.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type HostTensor, Session } from '../../src/engine/runtime.js';
import { guidanceIsOn } from '../../src/generators/denoise.js';
import { SdOnnxGenerator } from '../../src/generators/sd/index.js';
import type { Generator } from '../../src/generators/types.js';
import { WorldGenerator } from '../../src/generators/world/generator.js';
import { Rng } from '../../src/util/rng.js';

const TINY = fileURLToPath(new URL('../../../test/fixtures/sd/tiny-sd/', import.meta.url));
const WORLD = join(process.env.GLUEGEN_WORLD_DIR ?? fileURLToPath(new URL('../../../assets/world/', import.meta.url)), 'generator');
const STEPS = 3;

/** UNet calls (a session fed 'encoder_hidden_states') and the rows they held, while `f` runs. */
async function countUnet(f: () => Promise<unknown>): Promise<{ calls: number; rows: number }> {
  const original = Session.prototype.run;
  const seen = { calls: 0, rows: 0 };
  Session.prototype.run = function (this: Session, feeds: Record<string, HostTensor>, into?: Record<string, HostTensor | null>) {
    const cond = feeds.encoder_hidden_states;
    if (cond) {
      seen.calls++;
      seen.rows += cond.dims[0]!;
    }
    return original.call(this, feeds, into);
  };
  try {
    await f();
  } finally {
    Session.prototype.run = original;
  }
  return seen;
}

async function unetUse(generator: Generator, guidance: number, batch: number, scheduler: string): Promise<{ calls: number; rows: number }> {
  const { tokens, dim } = generator.condition;
  const rng = new Rng(1);
  const cond = rng.fillNormal(new Float32Array(batch * tokens * dim));
  const uncond = rng.fillNormal(new Float32Array(tokens * dim));
  return countUnet(() => generator.generate({ cond, uncond, batch, steps: STEPS, guidance, scheduler, rng: new Rng(2) }));
}

test('guidanceIsOn: on above 1 only', () => {
  assert.deepEqual([0, 0.5, 1, 1.0001, 3, 7.5].map(guidanceIsOn), [false, false, false, true, true, true]);
});

test('Stable Diffusion: guidance 1 (and below) = one UNet row per image per step; above 1 doubles the rows', async () => {
  for (const separate of [false, true]) {
    const g = await SdOnnxGenerator.load(TINY, { guidanceBatching: separate ? 'separate' : 'auto' });
    try {
      // DDIM: one UNet evaluation per step.
      assert.deepEqual(await unetUse(g, 1, 2, 'ddim'), { calls: STEPS, rows: 2 * STEPS }, `guidance 1, separate=${separate}`);
      assert.deepEqual(await unetUse(g, 0.5, 2, 'ddim'), { calls: STEPS, rows: 2 * STEPS }, `guidance 0.5, separate=${separate}`);
      assert.deepEqual(await unetUse(g, 3, 2, 'ddim'), { calls: (separate ? 2 : 1) * STEPS, rows: 4 * STEPS }, `guidance 3, separate=${separate}`);
      assert.equal(g.lastTimings?.unetRowsPerStep, 4);
    } finally {
      await g.release();
    }
  }
});

test('world generator: the same rule through the same loop', {
  skip: !existsSync(join(WORLD, 'config.json')) && `no world generator in ${WORLD}`,
}, async () => {
  const g = await WorldGenerator.load(WORLD, { threads: 1 });
  try {
    assert.deepEqual(await unetUse(g, 1, 2, 'ddim'), { calls: STEPS, rows: 2 * STEPS });
    assert.deepEqual(await unetUse(g, 0, 2, 'ddim'), { calls: STEPS, rows: 2 * STEPS });
    assert.deepEqual(await unetUse(g, 3, 2, 'ddim'), { calls: STEPS, rows: 4 * STEPS });
    assert.equal(g.lastRun?.unetRowsPerStep, 4);
  } finally {
    await g.release();
  }
});
