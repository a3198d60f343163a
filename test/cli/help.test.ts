/**
 * CLI conventions: `gluegen help CMD` and `CMD --help` print one layout for every command,
 * `--version` prints package.json's version, renamed flags keep working under their former names
 * (both at once is an error), and --device cuda without the CUDA provider is one line saying how
 * to install it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { helpText, UsageError } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { parseGenerateArgs } from '../../src/cli/generate.js';
import { Session } from '../../src/engine/runtime.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const MODEL = fileURLToPath(new URL('../../../test/fixtures/encoders/clip/model.onnx', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };

async function gluegen(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [MAIN, ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('every command: help in one layout (name — summary, blank line, usage:); `gluegen help CMD` = `gluegen CMD --help`', async () => {
  for (const cmd of COMMANDS) {
    const text = helpText(cmd);
    const lines = text.split('\n');
    assert.equal(lines[0], `gluegen ${cmd.name} — ${cmd.summary}`);
    assert.equal(lines[1], '');
    assert.match(lines[2]!, /^usage:/, cmd.name);
    assert.equal(text.split(`gluegen ${cmd.name} — `).length, 2, `${cmd.name}: header once`);
  }
  const generate = COMMANDS.find((c) => c.name === 'generate')!;
  const viaHelp = await gluegen('help', 'generate');
  const viaFlag = await gluegen('generate', '--help');
  assert.equal(viaHelp.code, 0);
  assert.equal(viaHelp.stdout, `${helpText(generate)}\n`);
  assert.equal(viaFlag.stdout, viaHelp.stdout);
  const unknown = await gluegen('help', 'nope');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr.trim(), /^gluegen: unknown command 'nope'\. Commands: .*generate/);
});

test('--version prints the version in package.json', async () => {
  const r = await gluegen('--version');
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), `gluegen ${PACKAGE.version}`);
});

test('one name per concept: --num-images (formerly --batch); the former name works, both at once is an error', () => {
  const base = ['--generator', 'g', '--encoder', 'e', '--out', 'x.png', '--prompt', 'p'];
  assert.equal(parseGenerateArgs([...base, '--num-images', '3']).batch, 3);
  assert.equal(parseGenerateArgs([...base, '--batch', '2']).batch, 2);
  assert.throws(
    () => parseGenerateArgs([...base, '--num-images', '3', '--batch', '2']),
    (e: unknown) => e instanceof UsageError && /give --num-images or --batch \(its former name\), not both/.test(e.message),
  );
  assert.throws(() => parseGenerateArgs([...base, '--num-images', '0']), /--num-images must be an integer >= 1/);
  const usage = COMMANDS.map((c) => c.usage).join('\n');
  assert.ok(!/--batch [N0-9]/.test(usage) && !/--limit /.test(usage) && !/--features /.test(usage), 'help text uses only the current names');
  for (const flag of ['--batch-size', '--max-rows', '--x', '--cond', '--num-images']) assert.ok(usage.includes(flag), flag);
});

test("--device cuda without onnxruntime's CUDA provider: one line saying how to install it", async (t) => {
  let session: Session | null = null;
  try {
    session = await Session.create(MODEL, { device: 'cuda' });
  } catch (e) {
    const msg = (e as Error).message;
    assert.ok(!msg.includes('\n') && !msg.includes('\u001b'), `one clean line: ${JSON.stringify(msg)}`);
    assert.match(
      msg,
      /^device 'cuda' is not available: onnxruntime-node.*CUDA provider.*ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install.*or use --device cpu\.$/,
    );
    return;
  }
  await session.release();
  t.skip('this machine has the CUDA provider');
});
