/**
 * Benchmark of the SD ONNX pipeline's own cost: time outside the UNet and VAE sessions (condition
 * and latent conversions, guidance, scheduler steps, noise, RGB conversion) as a share of a whole
 * generation. Target: below 3%.
 *
 * The fixture has real shapes (batch 1 with guidance = UNet batch 2, 64x64 latents, 77x768
 * conditions, 512x512 images) but a far smaller network than SD's UNet, so the share measured here
 * is an upper bound of the share with a real model. Built in a temp dir, removed afterwards.
 *
 *   npm run bench:sd        (env: SD_BENCH_STEPS=20, SD_BENCH_RUNS=3, SD_BENCH_DEVICE=cpu|cuda)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type TinySdOptions, writeTinySd } from '../scripts/fixtures/sd.js';
import type { Device, Session } from '../src/engine/runtime.js';
import { type GenerationTimings, SdOnnxGenerator } from '../src/generators/sd/index.js';
import { createScheduler, type SchedulerName } from '../src/generators/sd/schedulers/index.js';
import { GuidedUnet } from '../src/generators/sd/unet.js';
import { Rng } from '../src/util/rng.js';

const STEPS = Number(process.env.SD_BENCH_STEPS ?? 20);
const RUNS = Number(process.env.SD_BENCH_RUNS ?? 3);
const DEVICE = (process.env.SD_BENCH_DEVICE ?? 'cpu') as Device;
const TARGET_PERCENT = 3;

/** Wide enough that a UNet call costs tens of milliseconds on a CPU, as a (small) real UNet would. */
const SCALED: Partial<TinySdOptions> = { unetChannels: 128, unetDepth: 4, vaeChannels: 16 };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The same per-step work (staging latents, guidance, scheduler step) with a UNet session that
 * returns at once: the pipeline's own cost per step, free of contention with onnxruntime's threads.
 */
async function pipelineWorkPerStep(gen: SdOnnxGenerator, scheduler: SchedulerName, cond: Float32Array, uncond: Float32Array): Promise<number> {
  const instant = { run: async () => ({}) } as unknown as Session;
  const { tokens, dim } = gen.condition;
  const unet = new GuidedUnet(instant, gen.unetSignature, { cond, uncond, batch: 1, tokens, dim, latentShape: [4, 64, 64], guidance: 7.5, separate: false });
  const times: number[] = [];
  for (let run = 0; run < RUNS + 1; run++) {
    const s = createScheduler(scheduler, gen.folder.schedulerConfig);
    s.setTimesteps(STEPS);
    let latents = new Rng(run).fillNormal(new Float32Array(4 * 64 * 64));
    const started = performance.now();
    for (const t of s.timesteps) latents = s.step(await unet.predict(s.scaleModelInput(latents, t), t), t, latents);
    if (run > 0) times.push((performance.now() - started) / s.timesteps.length); // run 0 warms the JIT
  }
  return median(times);
}

async function bench(
  name: string,
  dir: string,
  scheduler: SchedulerName,
): Promise<{ name: string; t: GenerationTimings; overheadPercent: number; workMs: number }> {
  const gen = await SdOnnxGenerator.load(dir, { device: DEVICE });
  try {
    const rng = new Rng(1);
    const { tokens, dim } = gen.condition;
    const cond = rng.fillNormal(new Float32Array(tokens * dim));
    const uncond = rng.fillNormal(new Float32Array(tokens * dim));
    const run = async (steps: number): Promise<GenerationTimings> => {
      await gen.generate({ cond, uncond, batch: 1, steps, guidance: 7.5, scheduler, rng: new Rng(42), height: 512, width: 512 });
      return gen.lastTimings!;
    };
    await run(2); // warm-up: onnxruntime allocates and tunes on the first calls
    const runs: GenerationTimings[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await run(STEPS));
    const shares = runs.map((t) => (100 * t.overheadMs) / t.totalMs);
    const m = median(shares);
    return { name, t: runs[shares.indexOf(m)]!, overheadPercent: m, workMs: await pipelineWorkPerStep(gen, scheduler, cond, uncond) };
  } finally {
    await gen.release();
  }
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gluegen-bench-sd-'));
  try {
    writeTinySd(path.join(root, 'fp32'), SCALED);
    writeTinySd(path.join(root, 'fp16'), { ...SCALED, precision: 'fp16', timestep: 'float16' });
    console.log(
      `SD pipeline overhead: batch 1 + guidance, 64x64 latents -> 512x512, ${STEPS} steps, ${RUNS} runs (median), device ${DEVICE}, ${os.cpus().length} cores`,
    );
    const rows = [
      await bench('fp32 pndm', path.join(root, 'fp32'), 'pndm'),
      await bench('fp32 dpmpp2m', path.join(root, 'fp32'), 'dpmpp2m'),
      await bench('fp16 pndm', path.join(root, 'fp16'), 'pndm'),
    ];
    console.log('variant        | total ms | per step ms | UNet/step ms | VAE ms | overhead ms | overhead/step ms | overhead % | work/step ms (no model)');
    for (const { name, t, overheadPercent, workMs } of rows) {
      const cells = [t.totalMs, t.totalMs / t.steps, t.unetMs / t.steps, t.vaeMs, t.overheadMs, t.overheadMs / t.steps].map((v) => v.toFixed(2));
      console.log(`${name.padEnd(14)} | ${cells.join(' | ')} | ${overheadPercent.toFixed(2)}% | ${workMs.toFixed(3)}`);
    }
    const worst = Math.max(...rows.map((r) => r.overheadPercent));
    console.log(`worst overhead ${worst.toFixed(2)}% (target < ${TARGET_PERCENT}%): ${worst < TARGET_PERCENT ? 'ok' : 'ABOVE TARGET'}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();
