/**
 * The bundled world as ordinary model folders: one table of short names resolved in one place, and
 * the shared loaders telling each folder's kind from its own config.json.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeEncoderFolder } from '../../src/encoders/registry.js';
import { generatorClassOf } from '../../src/generators/open.js';
import { resolveModelName, resolveWorldChoice, worldAssetsDir } from '../../src/world/assets.js';

const fakeWorld = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'world-names-'));
  const parts: Record<string, string> = {
    generator: 'WorldUNet',
    'text-encoder': 'WorldTextEncoder',
    'multilingual-encoder': 'WorldMultilingualEncoder',
    'sound-encoder': 'WorldSoundEncoder',
    'gluenet-multilingual': '',
    'gluenet-sound': '',
  };
  for (const [part, cls] of Object.entries(parts)) {
    mkdirSync(join(dir, part));
    writeFileSync(join(dir, part, 'config.json'), JSON.stringify(cls ? { _class_name: cls } : { arch: 'translator_w_head' }));
  }
  return dir;
};

test('short names resolve to the world folders; folders pass through; the world brings its defaults', () => {
  const dir = fakeWorld();
  const saved = process.env.GLUEGEN_WORLD_DIR;
  process.env.GLUEGEN_WORLD_DIR = dir;
  try {
    assert.equal(worldAssetsDir(), dir);
    assert.equal(resolveModelName('world', 'generator'), join(dir, 'generator'));
    assert.equal(resolveModelName('world-sound', 'encoder'), join(dir, 'sound-encoder'));
    assert.equal(resolveModelName('world-sound', 'gluenet'), join(dir, 'gluenet-sound'));
    assert.equal(resolveModelName('some/sd-folder', 'generator'), 'some/sd-folder');
    // A world encoder name is not a generator name.
    assert.equal(resolveModelName('world-native', 'generator'), 'world-native');
    const none = { encoder: null, gluenet: null, textEncoder: null };
    assert.deepEqual(resolveWorldChoice({ generator: 'world', ...none, audio: false }), {
      generator: join(dir, 'generator'),
      encoder: join(dir, 'text-encoder'),
      gluenet: null,
      textEncoder: null,
      audio: false,
    });
    assert.deepEqual(resolveWorldChoice({ generator: 'world', ...none, audio: true }), {
      generator: join(dir, 'generator'),
      encoder: join(dir, 'sound-encoder'),
      gluenet: join(dir, 'gluenet-sound'),
      textEncoder: join(dir, 'text-encoder'),
      audio: true,
    });
    // An explicit GlueNet wins over the one a world encoder ships with.
    assert.equal(
      resolveWorldChoice({ generator: 'sd', encoder: 'world-multilingual', gluenet: 'my-glue', textEncoder: null, audio: false }).gluenet,
      'my-glue',
    );
    // The folders say what they are.
    assert.equal(generatorClassOf(join(dir, 'generator')), 'WorldUNet');
    assert.equal(generatorClassOf(join(dir, 'text-encoder')), 'sd-onnx');
    assert.deepEqual(describeEncoderFolder(join(dir, 'sound-encoder')), { modality: 'audio', className: 'WorldSoundEncoder' });
    assert.deepEqual(describeEncoderFolder(join(dir, 'multilingual-encoder')), { modality: 'text', className: 'WorldMultilingualEncoder' });
    assert.deepEqual(describeEncoderFolder(join(dir, 'gluenet-sound')), { modality: 'text', className: null });
  } finally {
    if (saved === undefined) delete process.env.GLUEGEN_WORLD_DIR;
    else process.env.GLUEGEN_WORLD_DIR = saved;
  }
});

test('a world folder without the model asked for is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'world-empty-'));
  const saved = process.env.GLUEGEN_WORLD_DIR;
  process.env.GLUEGEN_WORLD_DIR = dir;
  try {
    assert.ok(!existsSync(join(dir, 'sound-encoder')));
    assert.throws(() => resolveModelName('world-sound', 'encoder'), /GLUEGEN_WORLD_DIR is '.*', which holds no sound-encoder\/config\.json/);
  } finally {
    if (saved === undefined) delete process.env.GLUEGEN_WORLD_DIR;
    else process.env.GLUEGEN_WORLD_DIR = saved;
  }
  assert.throws(() => describeEncoderFolder(join(dir, 'nope')), /encoder folder .*nope" does not exist/);
});
