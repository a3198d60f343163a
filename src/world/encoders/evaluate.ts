/**
 * Held-out checks of the trained world encoders, run on the exported models through the same
 * Encoder classes users load:
 *  - multilingual: a linear probe per language and attribute on pooled features (trained on one set
 *    of captions, scored on fresh ones), the English probe applied unchanged to every language
 *    (cross-lingual transfer), and caption retrieval language -> English;
 *  - sound: classification of held-out synthesised clips at 16 kHz, after resampling from 8, 44.1
 *    and 48 kHz, and as a stereo pair.
 */
import { resample } from '../../encoders/audio/resample.js';
import type { WorldMultilingualEncoder } from '../../encoders/world/multilingual.js';
import type { WorldAudioInput, WorldSoundEncoder } from '../../encoders/world/sound.js';
import { Rng } from '../../util/rng.js';
import { ATTRIBUTE_NAMES, type AttributeName, type Attributes, COUNTS, type NamedAttributes } from '../data/attributes.js';
import { captionIn, LANGUAGES, type Language, sampleNamed } from '../data/captions-multi.js';
import { sampleAttributes } from '../data/dataset.js';
import { SAMPLE_RATE } from '../data/sounds.js';
import { accuracy, fitLinearProbe, nearestByCosine, predictProbe } from './probe.js';
import { soundClip } from './sound.js';

export interface MultilingualEvaluation {
  /** Held-out accuracy of a probe trained and tested in each language, per attribute. */
  probe: Record<Language, Record<AttributeName, number>>;
  /** The English probe applied to each language's pooled features. */
  probeFromEnglish: Record<Language, Record<AttributeName, number>>;
  /** Chance level per attribute (1 / classes). */
  chance: Record<AttributeName, number>;
  /** Top-1 retrieval of the English caption of the same description among `retrievalPool`, per query language. */
  retrieval: Record<Language, number>;
  retrievalPool: number;
  probeTrain: number;
  probeTest: number;
}

interface Described {
  attrs: Attributes;
  named: NamedAttributes;
}

const describe = (rng: Rng, n: number): Described[] => Array.from({ length: n }, () => ({ attrs: sampleAttributes(rng), named: sampleNamed(rng) }));

function same(a: Described, b: Described): boolean {
  return ATTRIBUTE_NAMES.every((k) => a.named[k] === b.named[k] && (!a.named[k] || a.attrs[k] === b.attrs[k]));
}

/** Pooled features of the rows of `sets` naming `attribute`, with their labels. */
function rowsNaming(pooled: Float32Array, sets: Described[], dim: number, attribute: AttributeName): { x: Float32Array; y: number[] } {
  const keep = sets.flatMap((s, i) => (s.named[attribute] ? [i] : []));
  const x = new Float32Array(keep.length * dim);
  keep.forEach((i, r) => x.set(pooled.subarray(i * dim, (i + 1) * dim), r * dim));
  return { x, y: keep.map((i) => sets[i]!.attrs[attribute]) };
}

export async function evaluateMultilingual(
  encoder: WorldMultilingualEncoder,
  seed: number,
  sizes = { probeTrain: 800, probeTest: 400, retrievalPool: 200 },
): Promise<MultilingualEvaluation> {
  const rng = new Rng(seed);
  const dim = encoder.info.dim;
  const train = describe(rng, sizes.probeTrain);
  const test = describe(rng, sizes.probeTest);
  const pool = describe(rng, sizes.retrievalPool);
  const pooledOf = (lang: Language, sets: Described[]) => encoder.pooled(sets.map((s) => captionIn(lang, s.attrs, s.named, rng).text));
  const features = new Map<Language, { train: Float32Array; test: Float32Array; pool: Float32Array }>();
  for (const lang of LANGUAGES) features.set(lang, { train: await pooledOf(lang, train), test: await pooledOf(lang, test), pool: await pooledOf(lang, pool) });
  const englishPool = await pooledOf('en', pool); // a second English caption per set: paraphrase retrieval for en

  const probe = {} as MultilingualEvaluation['probe'];
  const probeFromEnglish = {} as MultilingualEvaluation['probeFromEnglish'];
  const retrieval = {} as MultilingualEvaluation['retrieval'];
  const en = features.get('en')!;
  for (const lang of LANGUAGES) {
    const f = features.get(lang)!;
    probe[lang] = {} as Record<AttributeName, number>;
    probeFromEnglish[lang] = {} as Record<AttributeName, number>;
    for (const a of ATTRIBUTE_NAMES) {
      const fitted = rowsNaming(f.train, train, dim, a);
      const scored = rowsNaming(f.test, test, dim, a);
      probe[lang][a] = accuracy(predictProbe(fitLinearProbe(fitted.x, fitted.y, dim, COUNTS[a]), scored.x), scored.y);
      const english = rowsNaming(en.train, train, dim, a);
      probeFromEnglish[lang][a] = accuracy(predictProbe(fitLinearProbe(english.x, english.y, dim, COUNTS[a]), scored.x), scored.y);
    }
    const nearest = nearestByCosine(f.pool, englishPool, dim);
    retrieval[lang] = nearest.filter((j, i) => same(pool[i]!, pool[j]!)).length / pool.length;
  }
  const chance = Object.fromEntries(ATTRIBUTE_NAMES.map((a) => [a, 1 / COUNTS[a]])) as Record<AttributeName, number>;
  return { probe, probeFromEnglish, chance, retrieval, retrievalPool: sizes.retrievalPool, probeTrain: sizes.probeTrain, probeTest: sizes.probeTest };
}

export interface SoundEvaluation {
  clips: number;
  /** Held-out accuracy per input condition (16 kHz mono, resampled rates, stereo). */
  accuracy: Record<string, number>;
  chance: number;
}

/** Held-out clips of `split` (the training pool uses another split) under each input condition. */
export async function evaluateSound(encoder: WorldSoundEncoder, split: 'val' | 'test', n: number, seed: number): Promise<SoundEvaluation> {
  const clips = Array.from({ length: n }, (_, i) => soundClip(split, i, seed));
  const labels = clips.map((c) => c.object);
  const at = (rate: number): WorldAudioInput[] =>
    clips.map((c, i) => ({ samples: resample(c.audio, SAMPLE_RATE, rate), sampleRate: rate, source: `${split} clip ${i} at ${rate} Hz` }));
  // Stereo at 44.1 kHz: the right channel quieter and 5 ms late, as a source off to the left.
  const stereo = at(44100).map((c) => {
    const left = (c as { samples: Float32Array }).samples;
    const right = new Float32Array(left.length);
    const delay = Math.round(0.005 * 44100);
    for (let k = delay; k < left.length; k++) right[k] = 0.6 * left[k - delay]!;
    return { channels: [left, right], sampleRate: 44100, source: c.source ?? 'stereo clip' };
  });
  const conditions: Record<string, WorldAudioInput[]> = {
    '16000 Hz': clips.map((c) => ({ samples: c.audio, sampleRate: SAMPLE_RATE })),
    '8000 Hz': at(8000),
    '44100 Hz': at(44100),
    '48000 Hz': at(48000),
    '44100 Hz stereo': stereo,
  };
  const result: Record<string, number> = {};
  for (const [name, inputs] of Object.entries(conditions)) result[name] = accuracy((await encoder.classify(inputs)).labels, labels);
  return { clips: n, accuracy: result, chance: 1 / encoder.config.classes.length };
}
