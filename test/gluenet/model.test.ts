import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/gluenet/config.js';
import { RELEASE_CONFIGS } from '../../src/gluenet/presets.js';
import { countParams, partSpecs } from '../../src/gluenet/specs.js';

test('parameter counts equal the GlueGen release (METHOD.md)', () => {
  const multi = parseConfig(RELEASE_CONFIGS['multilingual-xlmr-sd1']);
  assert.equal(countParams(multi, 'aligner'), 50_179_776);
  assert.equal(countParams(multi, 'decoder'), 29_057_216);
  assert.equal(countParams(multi, 'discriminator'), 148_418);
  const sound = parseConfig(RELEASE_CONFIGS['sound-audioclip-sd1']);
  assert.equal(countParams(sound, 'aligner'), 57_865_983);
  assert.equal(countParams(sound, 'decoder'), 55_523_329);
});

test('state-dict names and layouts follow the PyTorch release', () => {
  const multi = parseConfig(RELEASE_CONFIGS['multilingual-xlmr-sd1']);
  const names = new Map(partSpecs(multi, 'aligner').map((p) => [p.name, p.shape]));
  // LN blocks: Linear at 0, 3, 6 and LayerNorm at 1, 4, 7; the LN-free tail: Linear at 0, 2, 4.
  assert.deepEqual(names.get('aligner.blocks.0.net_sen.0.weight'), [2048, 1024]);
  assert.deepEqual(names.get('aligner.blocks.4.net_sen.7.weight'), [1024]);
  assert.deepEqual(names.get('aligner.blocks.2.net_tok.3.weight'), [154, 154]);
  assert.deepEqual(names.get('aligner.tail.net_sen.4.weight'), [768, 2048]);
  assert.deepEqual(names.get('aligner.tail.net_tok.4.bias'), [77]);
  assert.equal(names.has('aligner.tail.net_sen.1.weight'), false);
  const disc = new Map(partSpecs(multi, 'discriminator').map((p) => [p.name, p.shape]));
  assert.deepEqual([...disc.keys()].sort(), [
    'discriminator.net.0.bias',
    'discriminator.net.0.weight',
    'discriminator.net.1.bias',
    'discriminator.net.1.num_batches_tracked',
    'discriminator.net.1.running_mean',
    'discriminator.net.1.running_var',
    'discriminator.net.1.weight',
    'discriminator.net.3.bias',
    'discriminator.net.3.weight',
  ]);
  const sound = parseConfig(RELEASE_CONFIGS['sound-audioclip-sd1']);
  const s = new Map(partSpecs(sound, 'aligner').map((p) => [p.name, p.shape]));
  assert.deepEqual(s.get('aligner.in_blocks.2.net_tok.0.weight'), [64, 16]);
  assert.deepEqual(s.get('aligner.trans.net_tok.6.weight'), [77, 64]);
  assert.deepEqual(s.get('aligner.trans.net_sen.6.weight'), [768, 256]);
  assert.deepEqual(s.get('aligner.out_blocks.1.net_sen.3.weight'), [3072, 3072]);
  assert.deepEqual(s.get('aligner.tail_2.net_sen.4.weight'), [768, 3072]);
});
