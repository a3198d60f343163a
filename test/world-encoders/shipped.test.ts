/**
 * The shipped world encoders (assets/world/{multilingual,sound}-encoder) load from their default
 * location and do their jobs on held-out data well above chance: captions of one description in
 * two languages are nearer each other than other captions, and held-out synthesised sounds
 * (the 'test' split, which the build never touches) are classified; bad input gets clear errors.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resample } from '../../src/encoders/audio/resample.js';
import { WorldMultilingualEncoder } from '../../src/encoders/world/multilingual.js';
import { WorldSoundEncoder } from '../../src/encoders/world/sound.js';
import { Rng } from '../../src/util/rng.js';
import { worldModelDir } from '../../src/world/assets.js';
import { ALL_NAMED, type Attributes } from '../../src/world/data/attributes.js';
import { captionIn, LANGUAGES } from '../../src/world/data/captions-multi.js';
import { sampleAttributes } from '../../src/world/data/dataset.js';
import { nearestByCosine } from '../../src/world/encoders/probe.js';
import { soundClip } from '../../src/world/encoders/sound.js';

let text: WorldMultilingualEncoder;
let sound: WorldSoundEncoder;
before(async () => {
  text = await WorldMultilingualEncoder.load(worldModelDir('multilingual-encoder'), { threads: 1 });
  sound = await WorldSoundEncoder.load(worldModelDir('sound-encoder'), { threads: 1 });
});
after(async () => {
  await text?.release();
  await sound?.release();
});

const cosine = (a: Float32Array, i: number, b: Float32Array, j: number, d: number): number => {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < d; k++) {
    ab += a[i * d + k]! * b[j * d + k]!;
    aa += a[i * d + k]! ** 2;
    bb += b[j * d + k]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
};

test('multilingual: a caption is nearest its English counterpart (chance 1/40), and matching pairs are closer', async () => {
  assert.deepEqual(text.info, { name: 'world-multilingual', modality: 'text', tokens: 24, dim: 96 });
  const rng = new Rng(4242);
  const n = 40;
  const d = text.info.dim;
  const attrs: Attributes[] = Array.from({ length: n }, () => sampleAttributes(rng));
  const english = await text.pooled(attrs.map((a) => captionIn('en', a, ALL_NAMED, rng).text));
  for (const lang of LANGUAGES.filter((l) => l !== 'en')) {
    const other = await text.pooled(attrs.map((a) => captionIn(lang, a, ALL_NAMED, rng).text));
    const nearest = nearestByCosine(other, english, d);
    const hits = nearest.filter((j, i) => JSON.stringify(attrs[j]) === JSON.stringify(attrs[i])).length;
    assert.ok(hits / n >= 0.75, `${lang} -> en retrieval ${hits}/${n}`);
    let same = 0;
    let different = 0;
    for (let i = 0; i < n; i++) {
      same += cosine(other, i, english, i, d) / n;
      different += cosine(other, i, english, (i + 1) % n, d) / n;
    }
    assert.ok(same > different + 0.1, `${lang}: mean cosine of matching pairs ${same.toFixed(3)} vs others ${different.toFixed(3)}`);
  }
});

test('multilingual: token features are deterministic, "" encodes, unknown words and bad types are clear errors', async () => {
  const a = await text.encode(['ein kleiner roter Vogel oben links', '', '左上の小さな赤い鳥']);
  const b = await text.encode(['ein kleiner roter Vogel oben links', '', '左上の小さな赤い鳥']);
  assert.deepEqual(a.features, b.features);
  assert.equal(a.features.length, 3 * 24 * 96);
  assert.ok(a.features.every(Number.isFinite));
  assert.deepEqual([...a.mask!.subarray(24, 27)], [1, 1, 0], '"" is BOS EOS then padding');
  await assert.rejects(text.encode(['a red bird', 'xylophone quasar']), /no word of this prompt is in the world vocabulary: "xylophone quasar" \(prompt 1\)/);
  await assert.rejects(text.encode([42 as unknown as string]), /prompt 0 is number, expected a string/);
  assert.equal(text.detectLanguage('un petit oiseau rouge en haut'), 'fr');
  assert.equal(text.detectLanguage('一只红色的小鸟'), 'zh');
  assert.equal(text.detectLanguage('xylophone'), null);
  assert.equal((await text.encode([])).batch, 0);
});

test('sound: held-out synthesised clips are classified well above chance (10%), at 16 kHz and 48 kHz stereo', async () => {
  assert.deepEqual(sound.info, { name: 'world-sound', modality: 'audio', tokens: 16, dim: 16 });
  const n = 60;
  const clips = Array.from({ length: n }, (_, i) => soundClip('test', i, 11));
  const truth = clips.map((c) => c.object);
  const mono = await sound.classify(clips.map((c) => ({ samples: c.audio, sampleRate: 16000 })));
  const monoAcc = mono.labels.filter((l, i) => l === truth[i]).length / n;
  assert.ok(monoAcc >= 0.85, `16 kHz accuracy ${(100 * monoAcc).toFixed(0)}%`);
  const stereo = await sound.classify(
    clips.map((c) => {
      const left = resample(c.audio, 16000, 48000);
      return { channels: [left, left.map((v) => 0.5 * v)], sampleRate: 48000 };
    }),
  );
  const stereoAcc = stereo.labels.filter((l, i) => l === truth[i]).length / n;
  assert.ok(stereoAcc >= 0.85, `48 kHz stereo accuracy ${(100 * stereoAcc).toFixed(0)}%`);
});

test('sound: long clips average their windows, silence encodes, bad audio gets clear errors', async () => {
  const window = soundClip('test', 0, 11).audio;
  const twoSeconds = new Float32Array(32000);
  twoSeconds.set(window.subarray(0, 32000));
  const twice = new Float32Array(64000);
  twice.set(twoSeconds);
  twice.set(twoSeconds, 32000);
  const [one, two] = [await sound.encode([{ samples: twoSeconds, sampleRate: 16000 }]), await sound.encode([{ samples: twice, sampleRate: 16000 }])];
  assert.equal(one.features.length, 256);
  one.features.forEach((v, k) => assert.ok(Math.abs(v - two.features[k]!) < 1e-4, `feature ${k}: ${v} vs ${two.features[k]}`));
  const silent = await sound.encode([{ samples: new Float32Array(4000), sampleRate: 8000 }]);
  assert.ok(silent.features.every(Number.isFinite));
  await assert.rejects(sound.encode([{ samples: new Float32Array(0), sampleRate: 16000, source: 'a.wav' }]), /a\.wav: the clip is empty/);
  const nan = new Float32Array(100);
  nan[7] = NaN;
  await assert.rejects(sound.encode([{ samples: nan, sampleRate: 16000 }]), /clip 0: sample 7 is NaN; audio must be finite/);
  await assert.rejects(sound.encode([{ samples: new Float32Array(61 * 8000), sampleRate: 8000 }]), /lasts 61\.0 s, longer than the 60 s/);
  await assert.rejects(sound.encode([{ samples: new Float32Array(10), sampleRate: 0 }]), /sample rate 0 must be a positive integer/);
  await assert.rejects(sound.encode([{ channels: [new Float32Array(10), new Float32Array(9)], sampleRate: 16000 }]), /channel 1 has 9 samples/);
});
