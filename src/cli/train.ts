import { readConfigFile } from '../gluenet/checkpoint.js';
import { checkPairing, DataError, FeatureSource } from '../gluenet/data.js';
import { TrainingStopped, trainGlueNet } from '../gluenet/train.js';
import { publishBest, validationOn } from '../gluenet/validation.js';
import { type Command, numberFlag, parseFlags, requireString, UsageError } from './command.js';

const usage = `gluegen train — train a GlueNet on paired features (no images needed)

usage: gluegen train --x X.safetensors --cond C.safetensors --config CONFIG.json --out DIR [options]

  --x FILE              new-encoder features: tensor 'features' [N, tokens_in, dim_in] (raw encoder output)
  --cond FILE           generator-encoder features of the same N items, row by row: [N, tokens_out, dim_out]
  --config FILE         GlueNet config.json (arch, shapes, x_scale, cond_norm, loss_weights, ...)
  --out DIR             output GlueNet directory (config.json, model.safetensors, metrics.jsonl,
                        loss.png) and checkpoints/step-N/ sets, each written as one verified unit
  --init DIR            start from an existing GlueNet directory
  --steps N | --epochs E   length of training (default: 4 epochs, as the release)
  --batch-size B        default 32
  --lr LR               Adam learning rate, default 1e-4
  --step-lr-every K     StepLR: multiply the lr by --step-lr-gamma (default 0.5) every K epochs
  --lr-schedule cosine  decay the lr per step from --lr to 0 over the run instead (the world's recipe)
  --val-x FILE --val-cond FILE
                        held-out pairs (same layout as --x/--cond): the aligner's error on them is
                        measured 5 times over --steps (--val-checks N; every 200 steps with --epochs)
                        and logged as "val" in metrics.jsonl; the
                        published weights are those of the best check (early stopping)
  --no-shuffle          keep the file order
  --seed S              seeds init and data order (default 0)
  --checkpoint-every N  steps between checkpoints (default 500)
  --resume              continue the run in --out from its newest checkpoint set after a crash, Ctrl-C
                        or SIGTERM (same loss trajectory and weights); a damaged set is refused
  --device cpu|cuda     execution provider (default cpu)
  --memory-mb M         feature sets larger than M MiB (as float32) stream from disk, a batch at a
                        time, instead of loading (default 1024); the batches are the same either way
  --shuffle-buffer R    shuffle within buffers of R rows (blocks of 4096 consecutive rows permuted
                        per epoch) instead of over all rows: for storage where random reads are slow

Ctrl-C and SIGTERM save a checkpoint before stopping. A NaN/Inf loss stops the run, keeps the last good weights
and says which step failed.`;

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a GlueNet on paired new/generator features',
  usage,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      {
        x: { type: 'string' },
        cond: { type: 'string' },
        config: { type: 'string' },
        out: { type: 'string' },
        init: { type: 'string' },
        steps: { type: 'string' },
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        'step-lr-every': { type: 'string' },
        'step-lr-gamma': { type: 'string' },
        'no-shuffle': { type: 'boolean' },
        seed: { type: 'string' },
        'checkpoint-every': { type: 'string' },
        resume: { type: 'boolean' },
        device: { type: 'string' },
        'memory-mb': { type: 'string' },
        'shuffle-buffer': { type: 'string' },
        'lr-schedule': { type: 'string' },
        'val-x': { type: 'string' },
        'val-cond': { type: 'string' },
        'val-checks': { type: 'string' },
      },
      'train',
    );
    const cmd = 'train';
    if (values.steps !== undefined && values.epochs !== undefined) throw new UsageError('train: give --steps or --epochs, not both');
    const device = (values.device as string | undefined) ?? 'cpu';
    if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`train: --device must be cpu or cuda, got '${device}'`);
    const out = requireString(values, 'out', cmd);
    const schedule = (values['lr-schedule'] as string | undefined) ?? 'step';
    if (schedule !== 'step' && schedule !== 'cosine') throw new UsageError(`train: --lr-schedule must be step or cosine, got '${schedule}'`);
    if ((values['val-x'] === undefined) !== (values['val-cond'] === undefined))
      throw new UsageError('train: give --val-x and --val-cond together (held-out pairs)');
    const x = requireString(values, 'x', cmd);
    const cond = requireString(values, 'cond', cmd);
    const config = readConfigFile(requireString(values, 'config', cmd));
    const val =
      values['val-x'] !== undefined
        ? { x: await FeatureSource.open(values['val-x'] as string), cond: await FeatureSource.open(values['val-cond'] as string) }
        : null;
    try {
      if (val) checkPairing(val.x, val.cond, config);
      const steps = values.steps !== undefined ? numberFlag(values, 'steps', cmd, { min: 1, integer: true })! : null;
      const r = await trainGlueNet({
        x,
        cond,
        config,
        out,
        lrSchedule: schedule,
        ...(values.init ? { init: values.init as string } : {}),
        ...(steps !== null ? { steps } : {}),
        ...(val
          ? { validation: validationOn(config, val.x, val.cond, steps ?? 1000, numberFlag(values, 'val-checks', cmd, { min: 1, integer: true, default: 5 })!) }
          : {}),
        ...(values.epochs !== undefined ? { epochs: numberFlag(values, 'epochs', cmd, { min: 1, integer: true })! } : {}),
        batchSize: numberFlag(values, 'batch-size', cmd, { min: 1, integer: true, default: 32 })!,
        lr: numberFlag(values, 'lr', cmd, { min: 0, default: 1e-4 })!,
        ...(values['step-lr-every'] !== undefined ? { stepLrEvery: numberFlag(values, 'step-lr-every', cmd, { min: 1, integer: true })! } : {}),
        stepLrGamma: numberFlag(values, 'step-lr-gamma', cmd, { min: 0, default: 0.5 })!,
        shuffle: !values['no-shuffle'],
        seed: numberFlag(values, 'seed', cmd, { integer: true, min: 0, max: 2 ** 32 - 1, default: 0 })!,
        checkpointEvery: numberFlag(values, 'checkpoint-every', cmd, { min: 1, integer: true, default: 500 })!,
        resume: Boolean(values.resume),
        device: device as 'cpu' | 'cuda',
        ...(values['memory-mb'] !== undefined ? { memoryBytes: numberFlag(values, 'memory-mb', cmd, { min: 0 })! * 1024 * 1024 } : {}),
        ...(values['shuffle-buffer'] !== undefined ? { shuffleBuffer: numberFlag(values, 'shuffle-buffer', cmd, { min: 1, integer: true })! } : {}),
      });
      const last = r.history.at(-1);
      console.log(`trained ${r.steps} steps -> ${out}${last ? ` (loss ${last.loss.toPrecision(4)}, distill ${last.distill.toPrecision(4)})` : ''}`);
      if (val) {
        const kept = await publishBest(out, config, r);
        console.log(`  published the aligner of step ${kept.step} (validation error ${kept.valError?.toPrecision(4)}, the lowest of the checks)`);
      }
      console.log(`  weights: ${out}/model.safetensors   metrics: ${out}/metrics.jsonl   curves: ${out}/loss.png`);
    } catch (e) {
      if (e instanceof TrainingStopped || e instanceof DataError) throw new UsageError(e.message, 1);
      throw e;
    } finally {
      await val?.x.close();
      await val?.cond.close();
    }
  },
};
