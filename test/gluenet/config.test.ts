/**
 * Config validation: every key is checked with bounds that fit memory, and each error names the key,
 * the value and why — absurd values never reach the model code (heap exhaustion, typed-array errors).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../src/gluenet/config.js';
import { RELEASE_CONFIGS } from '../../src/gluenet/presets.js';
import { partSpecs } from '../../src/gluenet/specs.js';

const base = { arch: 'translator_noln', tokens_in: 4, tokens_out: 4, dim_in: 6, dim_out: 8, cond_norm: [1, 1, 1, 1] };

function rejects(patch: Record<string, unknown>, pattern: RegExp): void {
  const t0 = performance.now();
  assert.throws(
    () => parseConfig({ ...base, ...patch }, 'cfg.json'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `${JSON.stringify(patch)}: ${String(e)}`);
      assert.match((e as Error).message, pattern);
      assert.match((e as Error).message, /^cfg\.json: /);
      assert.doesNotMatch((e as Error).message, /\n/);
      return true;
    },
  );
  assert.ok(performance.now() - t0 < 1000, `validation of ${JSON.stringify(patch)} took ${performance.now() - t0} ms`);
}

test('the released configs pass', () => {
  for (const c of Object.values(RELEASE_CONFIGS)) parseConfig(c);
});

test('depth, mult and widths are bounded before any graph is built', () => {
  for (const depth of [100000, 257, 1e9]) rejects({ depth }, new RegExp(`'depth' is ${depth}, above the limit of 256`));
  for (const mult of [100000, 65]) rejects({ mult }, new RegExp(`'mult' is ${mult}, above the limit of 64`));
  rejects({ depth: 0 }, /'depth' must be a positive integer, got 0/);
  rejects({ depth: 2.5 }, /'depth' must be a positive integer, got 2.5/);
  rejects({ mult: '2' }, /'mult' must be a positive integer, got "2"/);
  rejects({ tokens_in: 1e6, tokens_out: 1e6 }, /'tokens_in' is 1000000, above the limit of 4096 tokens/);
  rejects({ dim_in: 1e7 }, /'dim_in' is 10000000, above the limit of 16384 channels/);
  // Each key within its bound, together far too big.
  rejects(
    { dim_in: 16384, dim_out: 16384, mult: 8, depth: 64, cond_norm: [1, 1, 1, 1] },
    /needs about \d+M parameters .* above the limit of 500M; lower mult, depth or the widths/,
  );
});

test('disc_mult: 0, negative, huge, non-numeric and too small for dim_out are refused by name', () => {
  for (const v of [0, -1, 1e9, 'abc', null, Infinity]) rejects({ disc_mult: v }, /'disc_mult' must be a number in \(0, 64\]/);
  rejects({ disc_mult: 0.1 }, /'disc_mult' 0.1 gives a discriminator of width floor\(8 x 0.1\) = 0; use at least 0.125/);
  const ok = parseConfig({ ...base, disc_mult: 0.125 });
  assert.deepEqual(partSpecs(ok, 'discriminator')[0]!.shape, [1, 8]);
});

test('eta, x_scale, loss weights and unknown keys', () => {
  rejects({ eta: Infinity }, /'eta' must be a number in \[0, 1000000\]/);
  rejects({ eta: -0.1 }, /'eta'/);
  rejects({ x_scale: 0 }, /'x_scale' must be a positive number, got 0/);
  rejects({ x_scale: 'big' }, /'x_scale'/);
  rejects({ loss_weights: 3 }, /'loss_weights' must be an object/);
  rejects({ loss_weights: { distil: 1 } }, /loss_weights has unknown key 'distil'; expected distill, rec, adv/);
  rejects({ loss_weights: { rec: -1 } }, /loss_weights.rec must be a number >= 0, got -1/);
  rejects({ dept: 3 }, /unknown key 'dept'; the keys are arch, tokens_in/);
  rejects({ arch: 'transformer' }, /unknown arch "transformer"/);
  rejects({ cond_norm: [1, 1] }, /cond_norm has 2 values but tokens_out is 4/);
});
