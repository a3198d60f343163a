/**
 * `npm run demo`: the mission end to end on the bundled world. The frozen world generator, which only
 * understands its own English text encoder, draws from prompts in seven languages, from rich English
 * read by a bigger encoder, from sounds and from 3-D point clouds (written as PLY files and read back,
 * as a user's would be) — through GlueNets trained on parallel pairs alone — and from a sound + text
 * mix. Every image is read back by the world evaluator, so the page shows what each input asked for
 * and what came out.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWav } from '../../encoders/audio/index.js';
import { loadEncoder } from '../../encoders/registry.js';
import type { Encoder } from '../../encoders/types.js';
import { WorldMultilingualEncoder } from '../../encoders/world/multilingual.js';
import { WorldSoundEncoder } from '../../encoders/world/sound.js';
import { type LoadedAligner, loadAligner } from '../../gluenet/load.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { imageGrid } from '../../io/grid.js';
import { readPly, writePly } from '../../io/ply.js';
import { encodePng } from '../../io/png.js';
import { mixSource, perInputSource, type RoutedInput, route } from '../../pipeline/sources.js';
import { X2ImagePipeline } from '../../pipeline/x2image.js';
import { Rng } from '../../util/rng.js';
import { loadWorldModels, worldModelDir } from '../assets.js';
import { type AttributeName, type Attributes, COLOURS, type NamedAttributes, OBJECTS, POSITIONS, SIZES } from '../data/attributes.js';
import { captionIn, LANGUAGES, type Language, languageName } from '../data/captions-multi.js';
import { captionRich } from '../data/captions-rich.js';
import { samplePointCloud } from '../data/pointclouds.js';
import { synthSound } from '../data/sounds.js';
import { type ConditionSource, glueNetSource, nativeSource } from '../experiments/conditions.js';
import { worldDenoiser } from '../experiments/denoiser.js';
import { pairedFeatures, trainWorldGlueNet } from '../experiments/glue.js';
import { soundPairs, textPairs } from '../experiments/pairs.js';
import { type ShippedGlueNet, shipWorldGlueNets } from '../experiments/ship.js';
import { bytesToPixels, IMAGE_SIDE } from '../models/data.js';
import { type DemoItem, demoPage } from './page.js';

export interface DemoOptions {
  out: string;
  /** Train the GlueNets now even when shipped ones exist. */
  train: boolean;
  seed: number;
  steps: number;
  guidance: number;
  log: (line: string) => void;
  progress: NodeJS.WritableStream | null;
}

const ATTRS: AttributeName[] = ['object', 'colour', 'size', 'position'];

function describe(a: Attributes, named: Partial<NamedAttributes>): string {
  const parts: string[] = [];
  if (named.size) parts.push(SIZES[a.size]!);
  if (named.colour) parts.push(COLOURS[a.colour]!.name);
  parts.push(named.object ? OBJECTS[a.object]! : 'object');
  if (named.position) parts.push(`(${POSITIONS[a.position]})`);
  return parts.join(' ');
}

async function gluenet(name: ShippedGlueNet, o: DemoOptions, train: () => Promise<string>): Promise<{ aligner: LoadedAligner; origin: string }> {
  const shipped = worldModelDir(`gluenet-${name}`);
  if (!o.train && existsSync(join(shipped, 'model.safetensors'))) return { aligner: await loadAligner(shipped), origin: `shipped (${shipped})` };
  const dir = await train();
  return { aligner: await loadAligner(dir), origin: `trained just now (${dir})` };
}

export async function runDemo(o: DemoOptions): Promise<{ table: string; files: string[] }> {
  const start = Date.now();
  mkdirSync(o.out, { recursive: true });
  const world = await loadWorldModels();
  const multi = await WorldMultilingualEncoder.load(worldModelDir('multilingual-encoder'));
  const sound = await WorldSoundEncoder.load(worldModelDir('sound-encoder'));
  const large = (await loadEncoder(worldModelDir('english-large-encoder'))) as Encoder<'text'>;
  const clouds = (await loadEncoder(worldModelDir('pointcloud-encoder'))) as Encoder<'pointcloud'>;
  try {
    const multiGlue = await gluenet('multilingual', o, async () => {
      o.log('training the multilingual GlueNet on 3000 caption pairs (no images)...');
      const pairs = textPairs('all', 3000, 'train', o.seed);
      const f = await pairedFeatures(
        multi,
        pairs.map((p) => p.text),
        world.encoder,
        pairs.map((p) => p.english),
        'multilingual pairs',
      );
      const dir = join(o.out, 'gluenet-multilingual');
      await trainWorldGlueNet(f, dir, { steps: 800, seed: o.seed, progress: o.progress });
      return dir;
    });
    const soundGlue = await gluenet('sound', o, async () => {
      o.log('training the sound GlueNet on 1500 sound/label pairs (no images)...');
      const pairs = soundPairs(1500, 'train', o.seed);
      const f = await pairedFeatures(
        sound,
        pairs.map((p) => ({ samples: p.audio, sampleRate: 16000 })),
        world.encoder,
        pairs.map((p) => p.english),
        'sound pairs',
      );
      const dir = join(o.out, 'gluenet-sound');
      await trainWorldGlueNet(f, dir, { steps: 600, seed: o.seed, progress: o.progress });
      return dir;
    });
    // The bigger-English and point-cloud GlueNets: shipped, else trained with the experiments' recipe.
    const shipOne = async (name: ShippedGlueNet): Promise<string> => {
      o.log(`training the ${name} GlueNet with the experiments' recipe (no images)...`);
      const r = await shipWorldGlueNets(
        { native: world.encoder, multilingual: multi, sound, large, pointcloud: clouds, denoiser: await worldDenoiser(worldModelDir('generator')) },
        o.out,
        o.seed,
        o.log,
        o.progress,
        [name],
      );
      return r.written[0]!;
    };
    const largeGlue = await gluenet('english-large', o, () => shipOne('english-large'));
    const cloudGlue = await gluenet('pointcloud', o, () => shipOne('pointcloud'));
    const origins = { Multilingual: multiGlue.origin, Sound: soundGlue.origin, 'Bigger English': largeGlue.origin, 'Point cloud': cloudGlue.origin };
    for (const [name, origin] of Object.entries(origins)) o.log(`${name} GlueNet: ${origin}`);

    // Inputs: the same three scenes in every language, four sounds, two mixes.
    const rng = new Rng(o.seed + 17);
    const scenes: { attrs: Attributes; named: NamedAttributes }[] = [
      { attrs: { object: 5, colour: 0, size: 1, position: 4 }, named: { object: true, colour: true, size: true, position: false } },
      { attrs: { object: 1, colour: 4, size: 1, position: 0 }, named: { object: true, colour: true, size: false, position: true } },
      { attrs: { object: 6, colour: 3, size: 0, position: 8 }, named: { object: true, colour: true, size: true, position: true } },
    ];
    // Every image is one input routed through its own condition source; images that share an
    // unconditional condition (the native encoder's "", or the multilingual GlueNet's) share a batch.
    const items: (DemoItem & { routed: RoutedInput; uncond: 'native' | 'multilingual' | 'english-large' })[] = [];
    const native = nativeSource(world.encoder);
    const multiSrc = glueNetSource('multilingual', multi, multiGlue.aligner);
    for (const lang of LANGUAGES as readonly Language[]) {
      for (const s of scenes) {
        const text = captionIn(lang, s.attrs, s.named, rng).text;
        const src: ConditionSource<string> = lang === 'en' ? native : multiSrc;
        items.push({
          group: languageName(lang),
          input: text,
          route: lang === 'en' ? 'native English encoder' : 'multilingual encoder -> GlueNet',
          attrs: s.attrs,
          named: s.named,
          asked: describe(s.attrs, s.named),
          routed: route(src, text),
          uncond: lang === 'en' ? 'native' : 'multilingual',
        });
      }
    }
    // The same scenes in rich English (synonyms, other word orders, clauses that name nothing),
    // read by the bigger English encoder, next to the native encoder reading the same words.
    const largeSrc = glueNetSource('english-large', large, largeGlue.aligner);
    for (const s of scenes) {
      const text = captionRich(s.attrs, s.named, rng);
      for (const [group, path, src, uncond] of [
        ['Rich English, bigger encoder', 'bigger English encoder -> GlueNet', largeSrc, 'english-large'],
        ['Rich English, native encoder', 'native English encoder (never trained on rich English)', native, 'native'],
      ] as const) {
        items.push({
          group,
          input: text,
          route: path,
          attrs: s.attrs,
          named: s.named,
          asked: describe(s.attrs, s.named),
          routed: route(src as ConditionSource<string>, text),
          uncond,
        });
      }
    }
    // Point clouds, written as PLY files next to the page and read back as a user's file would be.
    const cloudSrc = glueNetSource('pointcloud', clouds, cloudGlue.aligner, native);
    for (const [object, colour, size] of [
      [0, 0, 1],
      [8, 2, 0],
      [2, 4, 1],
    ] as const) {
      const file = `cloud-${OBJECTS[object]}.ply`;
      await writeFileAtomic(
        join(o.out, file),
        writePly(samplePointCloud({ object, colour, size }, 2048, new Rng(o.seed + 300 + object)), 'binary_little_endian'),
      );
      const attrs: Attributes = { object, colour, size, position: 0 };
      const named = { object: true, colour: true, size: true };
      items.push({
        group: 'Point cloud',
        input: `${SIZES[size]} ${COLOURS[colour]!.name} ${OBJECTS[object]} (2048 points)`,
        points: file,
        route: 'point-cloud encoder -> GlueNet',
        attrs,
        named,
        asked: describe(attrs, named),
        routed: route(cloudSrc, readPly(readFileSync(join(o.out, file)), file)),
        uncond: 'native',
      });
    }
    const soundObjects = [0, 1, 2, 3];
    const soundSrc = glueNetSource('sound', sound, soundGlue.aligner, native);
    for (const object of soundObjects) {
      const clip = synthSound(object, new Rng(o.seed + 100 + object));
      const file = `sound-${OBJECTS[object]}.wav`;
      await writeFileAtomic(join(o.out, file), encodeWav([clip], 16000, 'pcm16'));
      items.push({
        group: 'Sound',
        input: `${OBJECTS[object]} sound`,
        audio: file,
        route: 'sound encoder -> GlueNet',
        attrs: { object, colour: 0, size: 0, position: 0 },
        named: { object: true },
        asked: OBJECTS[object]!,
        routed: route(soundSrc, { samples: clip, sampleRate: 16000 }),
        uncond: 'native',
      });
    }
    const mixSrc = mixSource(soundSrc, native, { kind: 'splice', split: 3 }, world.generator.condition);
    for (const [object, colour, position] of [
      [0, 4, 3],
      [7, 0, 5],
    ] as const) {
      const clip = synthSound(object, new Rng(o.seed + 200 + object));
      const text = captionIn('en', { object, colour, size: 0, position }, { colour: true, position: true }, rng).text;
      const file = `mix-${OBJECTS[object]}.wav`;
      await writeFileAtomic(join(o.out, file), encodeWav([clip], 16000, 'pcm16'));
      items.push({
        group: 'Sound + text',
        input: `${OBJECTS[object]} sound + "${text}"`,
        audio: file,
        route: 'sound GlueNet + native text, token splice (i = 3)',
        attrs: { object, colour, size: 0, position },
        named: { object: true, colour: true, position: true },
        asked: describe({ object, colour, size: 0, position }, { object: true, colour: true, position: true }),
        routed: route(mixSrc, { input: { samples: clip, sampleRate: 16000 }, prompt: text }),
        uncond: 'native',
      });
    }

    // Generate in one batch per unconditional condition kind (same seed for the whole demo).
    o.log(`generating ${items.length} images (${o.steps} DDIM steps, guidance ${o.guidance})...`);
    const genRng = new Rng(o.seed);
    const images: Uint8Array[] = new Array(items.length);
    for (const [kind, uncondSource] of [
      ['native', native],
      ['multilingual', multiSrc],
      ['english-large', largeSrc],
    ] as const) {
      const idx = items.map((it, i) => (it.uncond === kind ? i : -1)).filter((i) => i >= 0);
      const pipeline = new X2ImagePipeline({ generator: world.generator, source: perInputSource(() => uncondSource.unconditional(), kind) });
      // One noise stream for the whole demo: the second batch continues the first's.
      const out = await pipeline.run({
        inputs: idx.map((i) => items[i]!.routed),
        steps: o.steps,
        guidance: o.guidance,
        scheduler: 'ddim',
        rng: genRng,
        png: false,
      });
      idx.forEach((i, k) => (images[i] = out.images.images[k]!));
    }
    const pixels = new Float32Array(items.length * 3 * IMAGE_SIDE * IMAGE_SIDE);
    images.forEach((im, i) => bytesToPixels(im, pixels, i * 3 * IMAGE_SIDE * IMAGE_SIDE));
    const read = await world.evaluator.classify(pixels, items.length);
    const files: string[] = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      it.image = `img-${String(i).padStart(2, '0')}.png`;
      await writeFileAtomic(join(o.out, it.image), encodePng(images[i]!, 32, 32, 3));
      const got = read.attributes[i]!;
      it.read = describe(got as unknown as Attributes, { object: true, colour: true, size: true, position: true });
      it.correct = ATTRS.filter((a) => it.named[a]).map((a) => [a, got[a] === it.attrs[a]] as [AttributeName, boolean]);
    }

    // The results table: share of named attributes the evaluator reads back, per group.
    const byGroup = new Map<string, { right: number; total: number }>();
    for (const it of items) {
      const g = byGroup.get(it.group) ?? { right: 0, total: 0 };
      for (const [, ok] of it.correct ?? []) {
        g.total++;
        if (ok) g.right++;
      }
      byGroup.set(it.group, g);
    }
    const table = [
      '| input | route | named attributes read back |',
      '|---|---|---:|',
      ...[...byGroup].map(
        ([g, v]) => `| ${g} | ${items.find((i) => i.group === g)!.route} | ${v.right}/${v.total} (${((100 * v.right) / v.total).toFixed(0)}%) |`,
      ),
    ].join('\n');
    await writeFileAtomic(join(o.out, 'results.md'), `${table}\n`);
    const grid = imageGrid(
      items.map((it, i) => ({ pixels: images[i]!, width: 32, height: 32, caption: `${it.group}: ${it.asked}` })),
      { columns: 6, scale: 4, captionLines: 2 },
    );
    await writeFileAtomic(join(o.out, 'grid.png'), grid);
    const seconds = (Date.now() - start) / 1000;
    await writeFileAtomic(join(o.out, 'index.html'), demoPage(items, { table, seconds, glueNets: origins }));
    files.push(join(o.out, 'index.html'), join(o.out, 'grid.png'), join(o.out, 'results.md'));
    for (const g of [multiGlue, soundGlue, largeGlue, cloudGlue]) await g.aligner.release();
    return { table, files };
  } finally {
    await world.release();
    await multi.release();
    await sound.release();
    await large.release();
    await clouds.release();
  }
}
