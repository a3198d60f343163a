/**
 * The build report (JSON for machines, Markdown for people) and the grid of generated samples with
 * their prompts written under each image.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { imageGrid } from '../../io/grid.js';
import type { AttributeName } from '../data/attributes.js';
import type { AttributeScore, SamplingOptions } from '../eval.js';
import type { AutoencoderConfig } from './autoencoder.js';
import type { EvaluatorConfig } from './evaluator.js';
import type { TextEncoderConfig } from './text-encoder.js';
import type { GeneratorTraining } from './train-generator.js';
import type { UNetConfig } from './unet.js';

export interface BuildReport {
  preset: string;
  seed: number;
  totalSeconds: number;
  /** Seconds per phase; reusedFrom: taken from that earlier build (seconds are the original training's). */
  phases: { name: string; seconds: number; reusedFrom?: string }[];
  data: { trainImages: number; valImages: number; testPrompts: number };
  evaluator: {
    params: number;
    steps: number;
    loss: [number, number];
    valAccuracy: Record<AttributeName, number>;
    blurredValAccuracy?: Record<AttributeName, number>;
    config: EvaluatorConfig;
  };
  textEncoder: { params: number; steps: number; loss: [number, number]; retrievalAccuracy: number; vocabSize: number; config: TextEncoderConfig };
  autoencoder: {
    params: number;
    steps: number;
    loss: [number, number];
    valMse: number;
    config: AutoencoderConfig;
    reconstructionAccuracy?: Record<AttributeName, number>;
    /** Set by `gluegen world finetune-decoder` after the build. */
    decoderFinetune?: {
      steps: number;
      batch: number;
      lr: number;
      seed: number;
      seconds: number;
      valMse: number;
      reconstructionAccuracy: Record<AttributeName, number>;
    };
  } | null;
  generator: {
    params: number;
    steps: number;
    loss: [number, number];
    lossCurve: [number, number][];
    checks: { step: number; values: Record<string, number> }[];
    config: UNetConfig;
    training: GeneratorTraining;
  };
  /** The build's own held-out evaluation, kept when `world finetune-decoder` re-ran it. */
  evaluationBeforeDecoderFinetune?: BuildReport['evaluation'];
  evaluation: {
    sampling: SamplingOptions;
    prompts: number;
    accuracy: Record<AttributeName, AttributeScore>;
    fd: number | null;
    fdRealFloor: number | null;
    seconds: number;
  };
}

const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');

export function reportMarkdown(r: BuildReport): string {
  const e = r.evaluation;
  const lines = [
    '# World models: build report',
    '',
    `Preset \`${r.preset}\`, seed ${r.seed}, total ${(r.phases.reduce((s, p) => s + p.seconds, 0) / 60).toFixed(1)} min of phases (this run: ${(r.totalSeconds / 60).toFixed(1)} min).`,
    '',
    '## Time per phase',
    '',
    '| phase | seconds |',
    '| --- | ---: |',
    ...r.phases.map((p) => `| ${p.name}${p.reusedFrom ? ' (reused: trained in an earlier run of this build)' : ''} | ${p.seconds.toFixed(1)} |`),
    '',
    '## Models',
    '',
    '| model | parameters | steps | loss first -> last | check |',
    '| --- | ---: | ---: | --- | --- |',
    `| evaluator | ${r.evaluator.params} | ${r.evaluator.steps} | ${r.evaluator.loss.map((v) => v.toFixed(4)).join(' -> ')} | val accuracy ${Object.entries(
      r.evaluator.valAccuracy,
    )
      .map(([k, v]) => `${k} ${pct(v)}`)
      .join(', ')}${
      r.evaluator.blurredValAccuracy
        ? `; on the same images box-blurred ${Object.entries(r.evaluator.blurredValAccuracy)
            .map(([k, v]) => `${k} ${pct(v)}`)
            .join(', ')}`
        : ''
    } |`,
    `| text encoder | ${r.textEncoder.params} | ${r.textEncoder.steps} | ${r.textEncoder.loss.map((v) => v.toFixed(4)).join(' -> ')} | caption->image retrieval ${pct(r.textEncoder.retrievalAccuracy)} |`,
    ...(r.autoencoder
      ? [
          `| autoencoder (32x32x3 -> 8x8x${r.autoencoder.config.latentChannels}) | ${r.autoencoder.params} | ${r.autoencoder.steps} | ${r.autoencoder.loss.map((v) => v.toFixed(4)).join(' -> ')} | validation reconstruction MSE ${r.autoencoder.valMse.toFixed(5)}${
            r.autoencoder.reconstructionAccuracy
              ? `; evaluator on reconstructions ${Object.entries(r.autoencoder.reconstructionAccuracy)
                  .map(([k, v]) => `${k} ${pct(v)}`)
                  .join(', ')} (the generator's ceiling)`
              : ''
          } |`,
        ]
      : []),
    ...(r.autoencoder?.decoderFinetune
      ? [
          `| decoder fine-tune (\`gluegen world finetune-decoder\`, encoder frozen) | — | ${r.autoencoder.decoderFinetune.steps} | — | validation reconstruction MSE ${r.autoencoder.decoderFinetune.valMse.toFixed(5)}; evaluator on reconstructions ${Object.entries(
            r.autoencoder.decoderFinetune.reconstructionAccuracy,
          )
            .map(([k, v]) => `${k} ${pct(v)}`)
            .join(', ')}; ${r.autoencoder.decoderFinetune.seconds.toFixed(0)} s |`,
        ]
      : []),
    `| generator | ${r.generator.params} | ${r.generator.steps} | ${r.generator.loss.map((v) => v.toFixed(4)).join(' -> ')} | see below |`,
    '',
    '## Generator checks during training (validation prompts, DDIM 10 steps, guidance 3)',
    '',
    '| step | object | colour | size | position |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...r.generator.checks.map(
      (c) => `| ${c.step} | ${pct(c.values.object!)} | ${pct(c.values.colour!)} | ${pct(c.values.size!)} | ${pct(c.values.position!)} |`,
    ),
    '',
    `## Held-out evaluation (${e.prompts} test prompts, ${e.sampling.scheduler} ${e.sampling.steps} steps, guidance ${e.sampling.guidance})`,
    '',
    'Accuracy of the evaluator reading, in the generated image, each attribute the prompt names' +
      (r.evaluationBeforeDecoderFinetune
        ? ` (through the fine-tuned decoder; the build's own decoder gave ${Object.entries(r.evaluationBeforeDecoderFinetune.accuracy)
            .map(([k, s]) => `${k} ${pct(s.accuracy)}`)
            .join(', ')}, FD ${r.evaluationBeforeDecoderFinetune.fd?.toFixed(1) ?? 'n/a'}):`
        : ':'),
    '',
    '| attribute | correct / named | accuracy |',
    '| --- | ---: | ---: |',
    ...Object.entries(e.accuracy).map(([k, s]) => `| ${k} | ${s.correct} / ${s.total} | ${pct(s.accuracy)} |`),
    '',
    `Fréchet distance (evaluator features) of the generated images to ~1000 real test images: ${e.fd === null ? 'n/a' : e.fd.toFixed(1)}` +
      (e.fdRealFloor === null ? '' : `; as many real test images against the same reference (the finite-sample floor): ${e.fdRealFloor.toFixed(1)}`),
    '',
  ];
  return lines.join('\n');
}

export async function writeReport(dir: string, r: BuildReport): Promise<void> {
  await writeFileAtomic(join(dir, 'build-report.json'), `${JSON.stringify(r, null, 2)}\n`);
  await writeFileAtomic(join(dir, 'build-report.md'), reportMarkdown(r));
}

/** PNG grid of 32x32 samples, 4x upscaled, prompts under each image. */
export function samplesGrid(images: Uint8Array[], captions: string[]): Uint8Array {
  return imageGrid(
    images.map((pixels, i) => ({ pixels, width: 32, height: 32, caption: captions[i] ?? '' })),
    { columns: 8, scale: 4, captionLines: 3 },
  );
}
