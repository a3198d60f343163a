/**
 * Checkpoints as one unit: a mixed or damaged set is refused with what is wrong and how to go on,
 * stale temp files go, SIGTERM saves like Ctrl-C, and a run SIGKILLed at random points and resumed
 * each time ends byte-identical to an uninterrupted one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listCheckpoints } from '../../src/gluenet/checkpoint-set.js';
import { parseConfig } from '../../src/gluenet/config.js';
import { TrainingStopped, trainGlueNet } from '../../src/gluenet/train.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const CONFIG = { arch: 'translator_noln', tokens_in: 4, tokens_out: 4, dim_in: 6, dim_out: 8, mult: 2, depth: 1, cond_norm: [20, 20, 20, 20] };

async function fixture(n = 48): Promise<{ dir: string; x: string; c: string; config: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
  const rng = new Rng(5);
  const x = rng.fillNormal(new Float32Array(n * 4 * 6));
  const c = new Float32Array(n * 4 * 8).map((_, i) => Math.sin(x[Math.floor(i / 8) * 6 + (i % 6)]!) * 10 + 3);
  await writeSafetensors(join(dir, 'x.safetensors'), { features: { dtype: 'F32', shape: [n, 4, 6], data: x } });
  await writeSafetensors(join(dir, 'c.safetensors'), { features: { dtype: 'F32', shape: [n, 4, 8], data: c } });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CONFIG));
  return { dir, x: join(dir, 'x.safetensors'), c: join(dir, 'c.safetensors'), config: join(dir, 'config.json') };
}

const options = (f: { x: string; c: string }, out: string) =>
  ({ x: f.x, cond: f.c, config: parseConfig(CONFIG), out, steps: 10, batchSize: 16, lr: 3e-3, checkpointEvery: 2, progress: null, seed: 2 }) as const;

test('a mixed checkpoint set is refused, naming the file and the last complete step; following the advice resumes exactly', async () => {
  const f = await fixture();
  const full = await trainGlueNet(options(f, join(f.dir, 'full')));
  const out = join(f.dir, 'run');
  await trainGlueNet({ ...options(f, out), stopAfter: 6 });
  assert.deepEqual(
    listCheckpoints(out).map((s) => s.step),
    [6, 4],
  );
  // Weights of step 4 beside the optimizer of step 6: what three separate writes could leave behind.
  copyFileSync(join(out, 'checkpoints/step-00000004/model.safetensors'), join(out, 'checkpoints/step-00000006/model.safetensors'));
  await assert.rejects(trainGlueNet({ ...options(f, out), resume: true }), (e: unknown) => {
    assert.ok(e instanceof TrainingStopped);
    const m = (e as Error).message;
    assert.match(m, /checkpoint for step 6 is inconsistent/);
    assert.match(m, /step-00000006[/\\]model\.safetensors/);
    assert.match(m, /the last complete one is step 4: delete .*step-00000006/);
    assert.doesNotMatch(m, /\n/);
    return true;
  });
  rmSync(join(out, 'checkpoints/step-00000006'), { recursive: true });
  const resumed = await trainGlueNet({ ...options(f, out), resume: true });
  assert.deepEqual(
    resumed.history.map((h) => h.loss),
    full.history.map((h) => h.loss),
  );
  assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(f.dir, 'full', 'model.safetensors')));
});

test('an old-layout run whose three files are from different steps is refused, not silently resumed', async () => {
  const f = await fixture();
  const out = join(f.dir, 'legacy');
  await trainGlueNet({ ...options(f, out), stopAfter: 6 });
  const sets = join(out, 'checkpoints');
  copyFileSync(join(sets, 'step-00000006/model.safetensors'), join(out, 'model.safetensors'));
  copyFileSync(join(sets, 'step-00000004/optimizer.safetensors'), join(out, 'optimizer.safetensors'));
  copyFileSync(join(sets, 'step-00000004/trainer_state.json'), join(out, 'trainer_state.json'));
  rmSync(sets, { recursive: true });
  await assert.rejects(
    trainGlueNet({ ...options(f, out), resume: true }),
    /mixed checkpoint .*model\.safetensors is from step 6 but trainer_state\.json from step 4/,
  );
  rmSync(join(out, 'model.safetensors'));
  await assert.rejects(trainGlueNet({ ...options(f, out), resume: true }), /model\.safetensors' is missing beside trainer_state\.json \(step 4\)/);
});

test('--resume with no completed checkpoint says so; stale temp files of a dead writer are removed', async () => {
  const f = await fixture();
  const out = join(f.dir, 'none');
  await assert.rejects(trainGlueNet({ ...options(f, out), resume: true }), /has no checkpoint to resume from .*start without --resume/);
  await trainGlueNet({ ...options(f, out), stopAfter: 2 });
  // PID 2^22+1 is above Linux's pid_max, so no live process owns these.
  const deadTemp = join(out, '.model.safetensors.tmp-4194305-0123456789ab');
  const deadSet = join(out, 'checkpoints', '.step-00000004.tmp-4194305-0123456789ab');
  const liveTemp = join(out, `.config.json.tmp-${process.ppid}-0123456789ab`);
  writeFileSync(deadTemp, 'partial');
  mkdirSync(deadSet);
  writeFileSync(join(deadSet, 'model.safetensors'), 'partial');
  writeFileSync(liveTemp, 'another live writer');
  await trainGlueNet({ ...options(f, out), resume: true, stopAfter: 1 });
  assert.ok(!existsSync(deadTemp) && !existsSync(deadSet), readdirSync(out).join(' '));
  assert.ok(existsSync(liveTemp), 'a temp file of a live process must stay');
});

interface Child {
  done: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

function train(f: { x: string; c: string; config: string }, out: string, extra: string[]): Child {
  const args = [MAIN, 'train', '--x', f.x, '--cond', f.c, '--config', f.config, '--out', out, '--batch-size', '16', '--lr', '3e-3', '--seed', '2', ...extra];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GLUEGEN_DEBUG: '' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr }))),
    kill: (s) => child.kill(s),
  };
}

/** Polls until `ready()` or the child exits; true when ready came first. */
async function waitFor(ready: () => boolean, child: Child): Promise<boolean> {
  let exited = false;
  void child.done.then(() => (exited = true));
  while (!exited) {
    if (ready()) return true;
    await new Promise((r) => setTimeout(r, 15));
  }
  return false;
}

const metricLines = (out: string): number =>
  existsSync(join(out, 'metrics.jsonl')) ? readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).length : 0;

test('SIGTERM saves a checkpoint at the current step and exits with a one-line message, like Ctrl-C', { timeout: 60_000 }, async () => {
  const f = await fixture();
  const out = join(f.dir, 'term');
  const child = train(f, out, ['--steps', '100000', '--checkpoint-every', '100000']);
  assert.ok(await waitFor(() => metricLines(out) >= 3, child), 'training never started');
  child.kill('SIGTERM');
  const r = await child.done;
  assert.equal(r.code, 1, r.stderr);
  const msg = r.stderr.split('\n').filter((l) => l && !l.startsWith('train gluenet'));
  assert.equal(msg.length, 1, r.stderr);
  const step = Number(/terminated \(SIGTERM\) at step (\d+); saved in .*--resume/.exec(msg[0]!)?.[1]);
  assert.ok(step >= 3, msg[0]);
  assert.deepEqual(
    listCheckpoints(out).map((s) => s.step),
    [step],
  );
});

test('SIGKILL at random points, each followed by --resume, ends byte-identical to an uninterrupted run', { timeout: 120_000 }, async () => {
  const f = await fixture();
  const steps = ['--steps', '30', '--checkpoint-every', '2'];
  const ref = await train(f, join(f.dir, 'ref'), steps).done;
  assert.equal(ref.code, 0, ref.stderr);
  const out = join(f.dir, 'killed');
  const rng = new Rng(7);
  let kills = 0;
  const resumedFrom: number[] = [];
  for (let round = 0; round < 20 && kills < 8; round++) {
    const started = listCheckpoints(out)[0]?.step ?? -1;
    if (started >= 0) resumedFrom.push(started);
    const child = train(f, out, [...steps, ...(started >= 0 ? ['--resume'] : [])]);
    // Kill at a random moment after this run has written a new set: mid-step, mid-write or mid-rename.
    const progressed = await waitFor(() => (listCheckpoints(out)[0]?.step ?? -1) > started, child);
    if (progressed) {
      await new Promise((r) => setTimeout(r, rng.uniform() * 100));
      child.kill('SIGKILL');
      kills++;
    }
    const r = await child.done;
    if (r.code === 0) break;
    assert.ok(r.signal === 'SIGKILL' || /--resume/.test(r.stderr), `unexpected failure: ${r.stderr}`);
  }
  assert.ok(kills >= 4, `only ${kills} kills landed`);
  const last = await train(f, out, [...steps, '--resume']).done;
  assert.equal(last.code, 0, last.stderr);
  assert.deepEqual(readFileSync(join(out, 'model.safetensors')), readFileSync(join(f.dir, 'ref', 'model.safetensors')));
  for (const file of ['model.safetensors', 'optimizer.safetensors']) {
    assert.deepEqual(readFileSync(join(out, 'checkpoints/step-00000030', file)), readFileSync(join(f.dir, 'ref', 'checkpoints/step-00000030', file)), file);
  }
  const losses = (dir: string) =>
    readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { loss: number }).loss);
  assert.deepEqual(losses(out), losses(join(f.dir, 'ref')));
  assert.ok(resumedFrom.length >= 4);
  assert.ok(!readdirSync(join(out, 'checkpoints')).some((n) => n.includes('.tmp-')), 'stale temp sets left behind');
});
