/**
 * WebWorld, the page's X-to-image, run in Node over the shipped world (the browser runs the same
 * code on onnxruntime-web): a French prompt gives the named object and colour, a sound alone and a
 * sound mixed with a prompt give images, and bad input gets one clear line.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadGlueNet } from '../../src/gluenet/checkpoint.js';
import { EXPORTED_ALIGNER_FILE } from '../../src/gluenet/exported-aligner.js';
import { alignerOnnx } from '../../src/gluenet/inference.js';
import type { FileSource } from '../../src/io/file-source.js';
import { folderFiles } from '../../src/io/folder-files.js';
import { Rng } from '../../src/util/rng.js';
import { type WebStatus, WebWorld, type WebWorldFolder } from '../../src/web/world-app.js';
import { worldAssetsDir } from '../../src/world/assets.js';
import { OBJECTS } from '../../src/world/data/attributes.js';
import { SAMPLE_RATE, synthSound } from '../../src/world/data/sounds.js';
import { decodePng } from '../helpers/png-decode.js';
import { describe, readWorldPng } from './helpers.js';

/** The world folders as the web build lays them out: GlueNets with their exported aligner.onnx. */
function webFolder(folder: WebWorldFolder): FileSource {
  const files = folderFiles(join(worldAssetsDir(), folder));
  if (!folder.startsWith('gluenet-')) return files;
  return {
    ...files,
    bytes: async (path) => {
      if (path !== EXPORTED_ALIGNER_FILE) return files.bytes(path);
      const g = await loadGlueNet(files.location);
      return alignerOnnx(g.config, g.weights);
    },
  };
}

const statuses: WebStatus[] = [];
const world = new WebWorld(webFolder, (s) => statuses.push(s));

test('a French prompt gives an image of the object and colour it names, and says the language', async () => {
  const steps: number[] = [];
  const r = await world.generate({ prompt: 'une grande voiture bleue au centre', steps: 12, onStep: (k) => steps.push(k) });
  assert.equal(describe(await readWorldPng(r.png)), 'blue car');
  assert.equal(r.asked.language, 'fr');
  assert.deepEqual(
    steps,
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    statuses
      .filter((s) => s.stage === 'loaded')
      .map((s) => s.folder)
      .sort(),
    ['generator', 'gluenet-multilingual', 'multilingual-encoder'],
    'a prompt loads only the text models',
  );
  const again = await world.generate({ prompt: '一只红色的鸟', steps: 12 });
  assert.equal(again.asked.language, 'zh');
  assert.equal(describe(await readWorldPng(again.png)), 'red bird');
});

test('a sound alone draws its object; mixed with a prompt, the prompt side is the multilingual encoder + GlueNet', async () => {
  const clip = { samples: synthSound(OBJECTS.indexOf('car'), new Rng(3), { durationS: 1.5 }), sampleRate: SAMPLE_RATE, source: 'car.wav' };
  const alone = await world.generate({ sound: clip, steps: 8 });
  const img = decodePng(alone.png);
  assert.deepEqual([img.width, img.height], [32, 32]);
  assert.equal(OBJECTS[(await readWorldPng(alone.png)).object], 'car');
  assert.deepEqual([alone.asked.sound, alone.asked.mix], ['car.wav', null]);
  // A mix giving the sound no weight is the prompt's own condition: the very image the prompt alone gives.
  const prompt = 'un oiseau vert';
  const textOnly = await world.generate({ prompt, steps: 8 });
  const noSound = await world.generate({ sound: clip, prompt, steps: 8, mix: { kind: 'avg', weight: 0 } });
  assert.equal(noSound.asked.mix, 'avg:0');
  // (The pixels: each PNG's `parameters` metadata names its own inputs.)
  assert.deepEqual(decodePng(noSound.png).pixels, decodePng(textOnly.png).pixels);
  const mixed = await world.generate({ sound: clip, prompt, steps: 8 });
  assert.equal(mixed.asked.mix, 'splice:4');
  assert.notDeepEqual(decodePng(mixed.png).pixels, decodePng(textOnly.png).pixels);
  assert.notDeepEqual(decodePng(mixed.png).pixels, decodePng(alone.png).pixels);
});

test('bad input gets one clear line', async () => {
  await assert.rejects(world.generate({ prompt: '   ' }), /nothing to draw: type a prompt/);
  await assert.rejects(world.generate({ prompt: 'xyzzy plugh' }), /no word of "xyzzy plugh" is in the world's vocabulary/);
  await assert.rejects(world.generate({ prompt: 'un chat', steps: 0 }), /steps 0 must be a positive integer/);
  const silent = { samples: new Float32Array(0), sampleRate: 16000, source: 'empty.wav' };
  await assert.rejects(world.generate({ sound: silent }), /empty/);
});

test('a missing model file names the file', async () => {
  const broken = new WebWorld((folder) => (folder === 'generator' ? folderFiles(join(worldAssetsDir(), 'no-such-generator')) : webFolder(folder)));
  await assert.rejects(
    broken.generate({ prompt: 'une voiture' }),
    (e: Error) => /no-such-generator.config\.json is missing/.test(e.message) && !e.message.includes('\n'),
  );
});
