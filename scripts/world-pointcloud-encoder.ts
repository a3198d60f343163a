/**
 * Builds the world's point-cloud encoder (trained on point clouds alone) and measures it on
 * held-out clouds: writes OUT/pointcloud-encoder/ and OUT/pointcloud-encoder-report.json.
 * Usage: node dist/scripts/world-pointcloud-encoder.js [--out DIR (assets/world)] [--seed S (1)] [--tiny]
 */
import { parseArgs } from 'node:util';
import { buildPointCloudEncoder } from '../src/world/encoders/pointcloud.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, seed: { type: 'string' }, tiny: { type: 'boolean' } } });
  const outDir = values.out ?? 'assets/world';
  const seed = Number(values.seed ?? 1);
  if (!Number.isInteger(seed)) throw new Error(`--seed is ${JSON.stringify(values.seed)}; expected an integer`);
  const report = await buildPointCloudEncoder({ outDir, seed, budget: values.tiny ? 'tiny' : 'full' });
  console.log(
    `wrote ${outDir}/pointcloud-encoder (${report.params} parameters, ${(report.onnxBytes / 1e6).toFixed(2)} MB) in ${report.totalSeconds.toFixed(0)} s`,
  );
}

main().catch((e: unknown) => {
  console.error(`world-pointcloud-encoder: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
