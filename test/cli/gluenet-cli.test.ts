/**
 * The GlueNet commands end to end, as a user runs them: real processes, real files, exit codes,
 * and one-line errors (never a stack trace) for bad input.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Session } from '../../src/engine/runtime.js';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

async function gluegen(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [MAIN, ...args], { env: { ...process.env, GLUEGEN_DEBUG: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected a one-line error, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/);
}

test('train -> eval -> align -> export -> stats from the command line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  const rng = new Rng(1);
  const n = 64;
  const x = rng.fillNormal(new Float32Array(n * 4 * 6));
  const c = new Float32Array(n * 4 * 8).map((_, i) => Math.sin(x[Math.floor(i / 8) * 6 + (i % 6)]!) * 10 + 3);
  await writeSafetensors(join(dir, 'x.safetensors'), { features: { dtype: 'F16', shape: [n, 4, 6], data: x } });
  await writeSafetensors(join(dir, 'c.safetensors'), { features: { dtype: 'F32', shape: [n, 4, 8], data: c } });
  const stats = await gluegen('stats', '--features', join(dir, 'c.safetensors'));
  assert.equal(stats.code, 0, stats.stderr);
  const norm = JSON.parse(stats.stdout) as number[];
  assert.equal(norm.length, 4);
  // With the new encoder's features too: the scale-dependent config values, measured.
  const suggested = await gluegen('stats', '--cond', join(dir, 'c.safetensors'), '--x', join(dir, 'x.safetensors'));
  assert.equal(suggested.code, 0, suggested.stderr);
  const sug = JSON.parse(suggested.stdout) as {
    x_scale: number;
    cond_norm: number[];
    loss_weights: Record<string, number>;
    final_gelu: boolean;
    below_gelu_floor: number;
  };
  assert.deepEqual(sug.cond_norm, norm);
  assert.ok(sug.x_scale > 0 && sug.loss_weights.distill! > 0 && sug.loss_weights.rec! > 0);
  // c = 10 sin(x) + 3 is positive-heavy but not everywhere: some values lie below the GELU floor.
  assert.equal(sug.final_gelu, sug.below_gelu_floor <= 0.01);
  await writeSafetensors(join(dir, 'x10.safetensors'), { features: { dtype: 'F32', shape: [10, 4, 6], data: x.subarray(0, 240) } });
  assertOneLineError(await gluegen('stats', '--cond', join(dir, 'c.safetensors'), '--x', join(dir, 'x10.safetensors')), /--x has 10 rows but --cond has 64/);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ arch: 'translator_noln', tokens_in: 4, tokens_out: 4, dim_in: 6, dim_out: 8, mult: 2, depth: 1, cond_norm: norm }),
  );
  const tr = await gluegen(
    'train',
    '--x',
    join(dir, 'x.safetensors'),
    '--cond',
    join(dir, 'c.safetensors'),
    '--config',
    join(dir, 'config.json'),
    '--out',
    join(dir, 'g'),
    '--steps',
    '60',
    '--batch-size',
    '16',
    '--lr',
    '3e-3',
  );
  assert.equal(tr.code, 0, tr.stderr);
  assert.match(tr.stdout, /trained 60 steps/);
  for (const f of ['config.json', 'model.safetensors', 'metrics.jsonl', 'loss.png']) assert.ok(existsSync(join(dir, 'g', f)), f);
  for (const f of ['model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'manifest.json'])
    assert.ok(existsSync(join(dir, 'g', 'checkpoints', 'step-00000060', f)), f);

  // Early stopping on held-out pairs with the cosine schedule: checks logged, the best one published.
  const tv = await gluegen(
    'train',
    ...['--x', join(dir, 'x.safetensors'), '--cond', join(dir, 'c.safetensors'), '--config', join(dir, 'config.json'), '--out', join(dir, 'gv')],
    ...['--steps', '40', '--batch-size', '16', '--lr', '3e-3', '--lr-schedule', 'cosine'],
    ...['--val-x', join(dir, 'x.safetensors'), '--val-cond', join(dir, 'c.safetensors'), '--val-checks', '4'],
  );
  assert.equal(tv.code, 0, tv.stderr);
  const logged = readFileSync(join(dir, 'gv', 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; val?: number; lr: number });
  const checks = logged.filter((r) => r.val !== undefined);
  assert.deepEqual(
    checks.map((r) => r.step),
    [10, 20, 30, 40],
  );
  const best = checks.reduce((a, b) => (b.val! < a.val! ? b : a));
  assert.match(tv.stdout, new RegExp(`published the aligner of step ${best.step} `));
  assert.ok(logged.at(-1)!.lr < logged[0]!.lr / 50, 'cosine decay');
  assertOneLineError(
    await gluegen(
      'train',
      '--x',
      join(dir, 'x.safetensors'),
      '--cond',
      join(dir, 'c.safetensors'),
      '--config',
      join(dir, 'config.json'),
      '--out',
      join(dir, 'gw'),
      '--val-x',
      join(dir, 'x.safetensors'),
    ),
    /--val-x and --val-cond together/,
  );

  const ev = await gluegen('eval', '--gluenet', join(dir, 'g'), '--x', join(dir, 'x.safetensors'), '--cond', join(dir, 'c.safetensors'));
  assert.equal(ev.code, 0, ev.stderr);
  const report = JSON.parse(readFileSync(join(dir, 'g', 'eval.json'), 'utf8'));
  assert.equal(report.rows, n);
  assert.ok(report.reconstructionMse !== null && report.mse < report.naive.mse, JSON.stringify(report));
  assert.ok(existsSync(join(dir, 'g', 'pca.png')));

  const al = await gluegen('align', '--gluenet', join(dir, 'g'), '--features', join(dir, 'x.safetensors'), '--out', join(dir, 'aligned.safetensors'));
  assert.equal(al.code, 0, al.stderr);
  const aligned = (await readSafetensors(join(dir, 'aligned.safetensors'))).tensors.get('aligned')!;
  assert.deepEqual(aligned.shape, [n, 4, 8]);

  const ex = await gluegen('export', '--gluenet', join(dir, 'g'), '--out', join(dir, 'aligner.onnx'));
  assert.equal(ex.code, 0, ex.stderr);
  // The exported model alone reproduces `align` (x_scale and cond_norm/2 inside).
  const s = await Session.create(join(dir, 'aligner.onnx'));
  const xs = (await readSafetensors(join(dir, 'x.safetensors'))).tensors.get('features')!;
  const { tensorToFloat32 } = await import('../../src/io/safetensors.js');
  const out = await s.run({ features: { data: tensorToFloat32(xs).subarray(0, 2 * 24), dims: [2, 4, 6] } });
  const got = out.aligned!.data as Float32Array;
  const want = aligned.data as Float32Array;
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-4);
  await s.release();
});

test('convert imports a release-style PyTorch checkpoint and refuses a malicious one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  const meta = JSON.parse(readFileSync(join(FIXTURES, 'gluenet/parity-noln.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(meta.config));
  const ok = await gluegen(
    'convert',
    '--ckpt',
    join(FIXTURES, 'gluenet/release-style-aligner.pt'),
    '--config',
    join(dir, 'config.json'),
    '--out',
    join(dir, 'g'),
  );
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /\(aligner\)/);
  const saved = (await readSafetensors(join(dir, 'g', 'model.safetensors'))).tensors;
  const ref = (await readSafetensors(join(FIXTURES, 'gluenet/parity-noln.safetensors'))).tensors;
  assert.deepEqual(saved.get('aligner.blocks.0.net_sen.0.weight')!.data, ref.get('final.aligner.blocks.0.net_sen.0.weight')!.data);
  copyFileSync(join(FIXTURES, 'torch/malicious.pt'), join(dir, 'evil.pt'));
  const bad = await gluegen('convert', '--ckpt', join(dir, 'evil.pt'), '--config', join(dir, 'config.json'), '--out', join(dir, 'g2'));
  assertOneLineError(bad, /refusing to load global 'os.system'/);
  assert.ok(!existsSync(join(dir, 'g2')));
});

test('bad input gives one-line errors and non-zero exit codes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  assertOneLineError(await gluegen('nonsense'), /unknown command 'nonsense'/);
  assertOneLineError(await gluegen('train', '--x'), /train: .*--x/);
  assertOneLineError(await gluegen('train', '--out', dir), /--x is required/);
  assertOneLineError(await gluegen('align', '--gluenet', join(dir, 'missing'), '--features', 'f', '--out', 'o'), /does not exist/);
  writeFileSync(join(dir, 'config.json'), '{"arch": "mlp"}');
  writeFileSync(join(dir, 'x.safetensors'), 'not a safetensors file');
  assertOneLineError(
    await gluegen(
      'train',
      '--x',
      join(dir, 'x.safetensors'),
      '--cond',
      join(dir, 'x.safetensors'),
      '--config',
      join(dir, 'config.json'),
      '--out',
      join(dir, 'o'),
    ),
    /unknown arch "mlp"/,
  );
  assertOneLineError(await gluegen('stats', '--features', join(dir, 'x.safetensors')), /x\.safetensors/);
  const help = await gluegen('train', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--step-lr-every/);
});

test('extract with the bundled world encoders, then train straight from the shard folders', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  writeFileSync(
    join(dir, 'pairs.tsv'),
    'new\told\nune étoile rouge\ta red star\nun oiseau bleu en haut\ta blue bird at the top\nein kleines Auto\ta small car\n',
  );
  const x = await gluegen('extract', '--encoder', 'world-multilingual', '--input', join(dir, 'pairs.tsv'), '--column', 'new', '--out', join(dir, 'x'));
  assert.equal(x.code, 0, x.stderr);
  const c = await gluegen('extract', '--encoder', 'world-native', '--input', join(dir, 'pairs.tsv'), '--column', 'old', '--out', join(dir, 'c'));
  assert.equal(c.code, 0, c.stderr);
  const stats = await gluegen('stats', '--features', join(dir, 'c'));
  const norm = JSON.parse(stats.stdout) as number[];
  assert.equal(norm.length, 16);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ arch: 'translator_w_head', tokens_in: 24, tokens_out: 16, dim_in: 96, dim_out: 128, mult: 1, depth: 3, cond_norm: norm }),
  );
  const tr = await gluegen(
    'train',
    '--x',
    join(dir, 'x'),
    '--cond',
    join(dir, 'c'),
    '--config',
    join(dir, 'config.json'),
    '--out',
    join(dir, 'g'),
    '--steps',
    '2',
    '--batch-size',
    '3',
  );
  assert.equal(tr.code, 0, tr.stderr);
  assert.match(tr.stdout, /trained 2 steps/);
});
