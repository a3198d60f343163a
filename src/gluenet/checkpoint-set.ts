/**
 * Training checkpoints as one unit. A checkpoint is a step-tagged directory
 *   checkpoints/step-00000500/  config.json  model.safetensors  optimizer.safetensors
 *                               trainer_state.json  manifest.json (sizes + SHA-256, written last)
 * assembled under a temporary name and renamed into place, so a SIGKILL or a full disk leaves either
 * the complete set or none of it — never weights of one step beside optimizer moments of another.
 * `--resume` verifies the newest set (manifest, hashes, step tags) before trusting it. The run's
 * top-level model.safetensors / config.json are a published copy of the newest set, for users.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, link, mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { withAtomicFolder, writeFileAtomic } from '../io/atomic.js';
import { openSafetensors, writeSafetensors } from '../io/safetensors.js';
import { CheckpointError, loadGlueNet, saveGlueNet } from './checkpoint.js';
import type { GlueNetConfig } from './config.js';

export const CHECKPOINTS_DIR = 'checkpoints';
/** How many complete sets stay on disk (the newest and one before it, in case the disk corrupts one). */
const KEEP = 2;
const SET_FILES = ['config.json', 'model.safetensors', 'optimizer.safetensors', 'trainer_state.json'] as const;

export interface CheckpointContents {
  step: number;
  config: GlueNetConfig;
  weights: Map<string, Float32Array>;
  optimizer: Map<string, Float32Array>;
  /** trainer_state.json's extra fields (the run identity). */
  state: Record<string, unknown>;
}

interface Manifest {
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

const setName = (step: number): string => `step-${String(step).padStart(8, '0')}`;
const SET_RE = /^step-(\d{8,})$/;

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function syncDirectory(dir: string): Promise<void> {
  const h = await open(dir, 'r').catch(() => undefined);
  await h?.sync().catch(() => undefined);
  await h?.close().catch(() => undefined);
}

/** Complete checkpoint sets in `out`, newest first (by the step in their name). */
export function listCheckpoints(out: string): Array<{ step: number; dir: string }> {
  const root = join(out, CHECKPOINTS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => ({ m: SET_RE.exec(name), name }))
    .filter((e) => e.m !== null)
    .map((e) => ({ step: Number(e.m![1]), dir: join(root, e.name) }))
    .sort((a, b) => b.step - a.step);
}

/**
 * Writes the set for `c.step` and publishes its weights at the top of `out`. Any set already there for
 * the same step (a save right after a periodic one) is replaced; sets older than the KEEP newest go.
 */
export async function writeCheckpoint(out: string, c: CheckpointContents): Promise<void> {
  const root = join(out, CHECKPOINTS_DIR);
  await mkdir(root, { recursive: true });
  const final = join(root, setName(c.step));
  // A kill while the set is replaced leaves the previous step's set, which is still a complete one.
  await withAtomicFolder(final, async (temp) => {
    await saveGlueNet(temp, c.config, c.weights, { step: String(c.step) });
    const optimizer = Object.fromEntries([...c.optimizer].map(([k, v]) => [k, { dtype: 'F32' as const, shape: [v.length], data: v }]));
    await writeSafetensors(join(temp, 'optimizer.safetensors'), optimizer, { step: String(c.step) });
    await writeFileAtomic(join(temp, 'trainer_state.json'), `${JSON.stringify({ ...c.state, step: c.step }, null, 1)}\n`);
    const manifest: Manifest = { step: c.step, files: {} };
    for (const f of SET_FILES) manifest.files[f] = { bytes: statSync(join(temp, f)).size, sha256: await sha256(join(temp, f)) };
    await writeFileAtomic(join(temp, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  });
  await publish(out, final);
  for (const old of listCheckpoints(out).slice(KEEP)) await rm(old.dir, { recursive: true, force: true });
}

/** Makes `out/model.safetensors` and `out/config.json` those of the set (hard link, else copy; atomic rename). */
export async function publish(out: string, setDir: string): Promise<void> {
  for (const f of ['config.json', 'model.safetensors']) {
    const temp = join(out, `.${f}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await link(join(setDir, f), temp).catch(() => copyFile(join(setDir, f), temp));
      await rename(temp, join(out, f));
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw e;
    }
  }
  await syncDirectory(out);
}

/** Why the set in `dir` is not a complete, self-consistent checkpoint — or null when it is. */
export async function checkpointProblem(dir: string, step: number): Promise<string | null> {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return `'${manifestPath}' is missing (the set was never completed)`;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  } catch (e) {
    return `'${manifestPath}' is not valid JSON (${(e as Error).message})`;
  }
  if (m.step !== step) return `'${manifestPath}' says step ${m.step} but the directory is for step ${step}`;
  for (const f of SET_FILES) {
    const path = join(dir, f);
    const want = m.files?.[f];
    if (!want) return `'${manifestPath}' does not list ${f}`;
    if (!existsSync(path)) return `'${path}' is missing`;
    const bytes = statSync(path).size;
    if (bytes !== want.bytes) return `'${path}' has ${bytes} bytes, the manifest recorded ${want.bytes}`;
    if ((await sha256(path)) !== want.sha256) return `'${path}' does not match its SHA-256 in the manifest (changed or corrupted after it was written)`;
  }
  for (const f of ['model.safetensors', 'optimizer.safetensors']) {
    const file = await openSafetensors(join(dir, f));
    const tagged = file.metadata.step;
    await file.close();
    if (tagged !== String(step)) return `'${join(dir, f)}' is from step ${tagged ?? '(untagged)'}, the set is for step ${step}`;
  }
  return null;
}

/**
 * The newest checkpoint of `out`, verified. A damaged newest set is refused (never skipped silently)
 * with what is wrong and which older set is complete to resume from.
 */
export async function readLatestCheckpoint(out: string): Promise<CheckpointContents | null> {
  const sets = listCheckpoints(out);
  if (sets.length === 0) return null;
  const newest = sets[0]!;
  const problem = await checkpointProblem(newest.dir, newest.step);
  if (problem) {
    let fallback = 'no older complete checkpoint exists: start again without --resume';
    for (const s of sets.slice(1)) {
      if ((await checkpointProblem(s.dir, s.step)) === null) {
        fallback = `the last complete one is step ${s.step}: delete '${newest.dir}' and run --resume again to continue from it`;
        break;
      }
    }
    throw new CheckpointError(`--resume: the checkpoint for step ${newest.step} is inconsistent: ${problem}; ${fallback}`);
  }
  return readSet(newest.dir, newest.step);
}

async function readSet(dir: string, step: number): Promise<CheckpointContents> {
  const g = await loadGlueNet(dir);
  const opt = await openSafetensors(join(dir, 'optimizer.safetensors'));
  const optimizer = new Map<string, Float32Array>();
  try {
    for (const name of opt.names()) optimizer.set(name, await opt.readFloat32(name));
  } finally {
    await opt.close();
  }
  const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')) as Record<string, unknown>;
  if (state.step !== step) throw new CheckpointError(`internal: verified set '${dir}' has trainer_state step ${String(state.step)}`);
  return { step, config: g.config, weights: g.weights, optimizer, state };
}

/**
 * A run directory from before checkpoint sets: top-level model.safetensors, optimizer.safetensors and
 * trainer_state.json, each written on its own. Usable only when all three carry the same step.
 */
export async function readLegacyCheckpoint(out: string): Promise<CheckpointContents | null> {
  const statePath = join(out, 'trainer_state.json');
  if (!existsSync(statePath)) return null;
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown>;
  const step = state.step;
  if (typeof step !== 'number') throw new CheckpointError(`--resume: '${statePath}' has no step number; start again without --resume`);
  for (const f of ['model.safetensors', 'optimizer.safetensors']) {
    const path = join(out, f);
    if (!existsSync(path)) throw new CheckpointError(`--resume: '${path}' is missing beside trainer_state.json (step ${step}); start again without --resume`);
    const file = await openSafetensors(path);
    const tagged = file.metadata.step;
    await file.close();
    if (tagged !== String(step)) {
      throw new CheckpointError(
        `--resume: mixed checkpoint in '${out}': ${f} is from step ${tagged ?? '(untagged)'} but trainer_state.json from step ${step} ` +
          `(a crash between their writes); there is no complete set to resume from: start again without --resume`,
      );
    }
  }
  return readSet(out, step);
}

/**
 * Removes temporary files and half-built sets left by a killed run: `.NAME.tmp-PID-...` in `out` and
 * in its checkpoints directory, unless process PID is still alive (another writer at work).
 */
export async function removeStaleTemps(out: string): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of [out, join(out, CHECKPOINTS_DIR)]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const m = /^\..+\.tmp-(\d+)-[0-9a-f]+(\.old)?$/.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid !== process.pid && isAlive(pid)) continue;
      await rm(join(dir, name), { recursive: true, force: true });
      removed.push(join(dir, name));
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
