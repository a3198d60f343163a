/**
 * The pieces around the world encoders, checked against independent computations: the ridge probe
 * (normal equations), cosine retrieval, the sound front end and windowing, the clip seeding, and
 * language detection.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectLanguage } from '../../src/encoders/world/multilingual.js';
import { DEFAULT_SOUND_FRONT_END, frontEndFrames, soundFeatures, soundWindows } from '../../src/encoders/world/sound.js';
import { Rng } from '../../src/util/rng.js';
import { captionIn, LANGUAGES, sampleNamed } from '../../src/world/data/captions-multi.js';
import { makeSoundSplit, sampleAttributes } from '../../src/world/data/dataset.js';
import { buildMultilingualTokenizer } from '../../src/world/encoders/multilingual.js';
import { fitLinearProbe, nearestByCosine, predictProbe } from '../../src/world/encoders/probe.js';
import { soundClip } from '../../src/world/encoders/sound.js';

test('ridge probe solves its normal equations and separates clusters', () => {
  const rng = new Rng(1);
  const n = 60;
  const dim = 3;
  const classes = 3;
  const labels = Array.from({ length: n }, (_, i) => i % classes);
  const x = new Float32Array(n * dim);
  labels.forEach((c, i) => {
    for (let d = 0; d < dim; d++) x[i * dim + d] = (d === c ? 4 : 0) + rng.normal();
  });
  const lambda = 0.5;
  const p = fitLinearProbe(x, labels, dim, classes, lambda);
  // Gradient of sum ||[z, 1] W - Y||^2 + lambda ||W[:dim]||^2 must vanish (z = standardised x).
  for (let c = 0; c < classes; c++) {
    for (let r = 0; r <= dim; r++) {
      let g = r < dim ? lambda * p.weights[r * classes + c]! : 0;
      for (let i = 0; i < n; i++) {
        const z = (d: number) => (d === dim ? 1 : (x[i * dim + d]! - p.mean[d]!) * p.scale[d]!);
        let score = 0;
        for (let d = 0; d <= dim; d++) score += z(d) * p.weights[d * classes + c]!;
        g += z(r) * (score - (labels[i] === c ? 1 : 0));
      }
      assert.ok(Math.abs(g) < 1e-8, `normal equation residual ${g} at row ${r}, class ${c}`);
    }
  }
  const test = Float32Array.from([4, 0, 0, 0, 4, 0, 0, 0, 4, 3.5, 0.5, 0]);
  assert.deepEqual(predictProbe(p, test), [0, 1, 2, 0]);
});

test('nearestByCosine ignores vector length', () => {
  const keys = Float32Array.from([1, 0, 0, 1, 1, 1]);
  const queries = Float32Array.from([10, 0.5, 0.1, 3, 2, 2.1]);
  assert.deepEqual(nearestByCosine(queries, keys, 2), [0, 1, 2]);
});

test('sound front end: silence is flat at -1.5, a tone peaks in its mel band, windows tile the clip', () => {
  const fe = DEFAULT_SOUND_FRONT_END;
  const frames = frontEndFrames(fe);
  assert.equal(frames, 200);
  const silent = soundFeatures(new Float32Array(8000), fe);
  assert.equal(silent.length, 64 * 200);
  assert.ok(silent.every((v) => v === -1.5));
  const peakBand = (hz: number): number => {
    const tone = Float32Array.from({ length: 16000 }, (_, k) => 0.5 * Math.sin((2 * Math.PI * hz * k) / 16000));
    const f = soundFeatures(tone, fe);
    let best = 0;
    for (let m = 0; m < 64; m++) if (f[m * frames + 50]! > f[best * frames + 50]!) best = m;
    return best;
  };
  // Slaney mel: linear below 1 kHz (3 mels per 200 Hz), so bands are ordered by frequency.
  const bands = [250, 1000, 4000].map(peakBand);
  assert.ok(bands[0]! < bands[1]! && bands[1]! < bands[2]!, `peak bands ${bands}`);
  const lengths = (n: number) => soundWindows(new Float32Array(n), fe).map((w) => w.length);
  assert.deepEqual(lengths(80000), [32000, 32000, 16000]);
  assert.deepEqual(lengths(68800), [32000, 32000]); // a 0.3 s tail is dropped
  assert.deepEqual(lengths(1600), [1600]);
});

test('soundClip(split, i) is example i of makeSoundSplit', () => {
  const split = makeSoundSplit('val', 3, 9);
  split.forEach((e, i) => {
    const c = soundClip('val', i, 9);
    assert.equal(c.object, e.object);
    assert.deepEqual(c.audio, e.audio);
  });
});

test('detectLanguage: kana mean Japanese, distinctive words decide, unknown text gives null', () => {
  const lexicon = { en: ['a', 'red', 'bird'], fr: ['un', 'oiseau', 'rouge'], es: ['un', 'pájaro', 'rojo'], zh: ['红', '鸟'], ja: ['赤', '鳥', 'い'] };
  assert.equal(detectLanguage('A RED bird', lexicon), 'en');
  assert.equal(detectLanguage('un oiseau', lexicon), 'fr');
  assert.equal(detectLanguage('un pájaro rojo', lexicon), 'es');
  assert.equal(detectLanguage('un', lexicon), 'fr'); // a tie goes to the first listed
  assert.equal(detectLanguage('红鸟', lexicon), 'zh');
  assert.equal(detectLanguage('赤い鳥', lexicon), 'ja');
  assert.equal(detectLanguage('zzz qqq', lexicon), null);
  assert.equal(detectLanguage('', lexicon), null);
});

test('detectLanguage with the built lexicon recognises fresh captions of every language', () => {
  const { lexicon } = buildMultilingualTokenizer(4, 24, 400);
  const rng = new Rng(77);
  for (const lang of LANGUAGES) {
    const texts = Array.from({ length: 50 }, () => captionIn(lang, sampleAttributes(rng), sampleNamed(rng), rng).text);
    const wrong = texts.filter((t) => detectLanguage(t, lexicon) !== lang);
    assert.ok(
      wrong.length <= 2,
      `${lang}: ${wrong.length}/50 misdetected, e.g. ${JSON.stringify(wrong.slice(0, 3).map((t) => [t, detectLanguage(t, lexicon)]))}`,
    );
  }
});
