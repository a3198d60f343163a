/**
 * Crafted checkpoints that once exhausted `convert`, built here byte by byte: each now opens in
 * bounded time and memory, or is refused with a one-line TorchCheckpointError.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  MAX_PICKLE_BYTES,
  openTorchCheckpoint,
  type PickleDict,
  type PickleValue,
  type StorageRef,
  TorchCheckpointError,
  unpickleRestricted,
} from '../../src/io/torch-pickle.js';
import { buildZip } from './zip-builder.js';

const op = (...parts: Array<number[] | string>): number[] => parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p));
const str = (s: string): number[] => op([0x8c, s.length], s); // SHORT_BINUNICODE
const PROTO = [0x80, 2];
const STOP = [0x2e];
/** Pushes _rebuild_tensor_v2's args for a 1-D F32 tensor of n elements in storage '0'. */
const tensorArgs = (n: number): number[] =>
  op(
    [0x28, 0x28],
    str('storage'),
    'ctorch\nFloatStorage\n',
    str('0'),
    str('cpu'),
    [0x4b, n, 0x74, 0x51], // MARK (MARK persid-tuple) BINPERSID
    [0x4b, 0, 0x4b, n, 0x85, 0x4b, 1, 0x85, 0x89, 0x4e, 0x74], // offset 0, (n,), (1,), False, None; TUPLE
  );
/** Pushes a tensor: _rebuild_tensor_v2(*tensorArgs(n)). */
const tensor = (n: number): number[] => op('ctorch._utils\n_rebuild_tensor_v2\n', tensorArgs(n), [0x52]);

const storage: StorageRef = { kind: 'storage', key: '0', dtype: 'F32' };
const persistent = (): PickleValue => storage;

function checkpoint(pickle: number[], storageBytes: Uint8Array, opts: { deflateStorage?: boolean; deflatePickle?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-pt-'));
  const file = join(dir, 'model.pt');
  writeFileSync(
    file,
    buildZip([
      { name: 'archive/data.pkl', data: Uint8Array.from(pickle), deflate: opts.deflatePickle ?? false },
      { name: 'archive/data/0', data: storageBytes, deflate: opts.deflateStorage ?? false },
    ]),
  );
  return file;
}

/** Runs `body`; asserts it took under `ms` (generous: the hostile inputs took seconds to forever). */
async function quickly<T>(what: string, ms: number, body: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  const r = await body();
  assert.ok(performance.now() - t0 < ms, `${what} took ${(performance.now() - t0).toFixed(0)} ms`);
  return r;
}

test('a ~500-byte pickle of lists shared 2^60 ways opens at once; tensors inside are found once', async () => {
  for (const levels of [30, 60]) {
    // memo[0] = []; memo[i] = [memo[i-1], memo[i-1]]: a DAG whose paths number 2^levels.
    const body = op([0x5d, 0x71, 0]);
    for (let i = 1; i <= levels; i++) body.push(...op([0x30, 0x28, 0x68, i - 1, 0x68, i - 1, 0x6c, 0x71, i]));
    const pickle = op(PROTO, [0x7d], str('deep'), body, [0x73], str('w'), tensor(1), [0x73], STOP);
    assert.ok(pickle.length < 700, `${pickle.length} bytes`);
    const ckpt = await quickly(`${levels} shared levels`, 2000, () => openTorchCheckpoint(checkpoint(pickle, new Uint8Array(4))));
    assert.deepEqual(ckpt.names(), ['w']);
    await ckpt.close();
  }
  // A list that contains itself.
  const self = op(PROTO, [0x5d, 0x71, 0, 0x68, 0, 0x61], STOP);
  const v = unpickleRestricted(Uint8Array.from(self), 'self', persistent) as PickleValue[];
  assert.equal(v[0], v);
});

test('300k and 1M APPENDS items and deeply nested containers need no call stack', async () => {
  for (const n of [300_000, 1_000_000]) {
    const pickle = Uint8Array.from(op(PROTO, [0x5d, 0x28], new Array<number>(n).fill(0x4e), [0x65], STOP));
    const list = await quickly(`${n} APPENDS`, 5000, () => unpickleRestricted(pickle, 'appends', persistent) as PickleValue[]);
    assert.equal(list.length, n);
  }
  // 200k nested lists: the stack machine keeps them on its own stack, not the call stack.
  const depth = 200_000;
  const nested = Uint8Array.from(op(PROTO, new Array<number>(depth).fill(0x5d), new Array<number>(depth - 1).fill(0x61), STOP));
  const root = unpickleRestricted(nested, 'nested', persistent) as PickleValue[];
  assert.ok(Array.isArray(root[0]));
  // ... and a checkpoint whose containers nest past 200 is refused by name, not by a stack overflow.
  const deepDict = op(
    PROTO,
    new Array<number>(300).fill(0).flatMap(() => op([0x7d], str('k'))),
    tensor(1),
    new Array<number>(300).fill(0x73),
    STOP,
  );
  await assert.rejects(
    openTorchCheckpoint(checkpoint(deepDict, new Uint8Array(4))),
    (e: unknown) => e instanceof TorchCheckpointError && /nested more than 200 deep/.test((e as Error).message),
  );
});

test('_rebuild_from_type_v2 nested 100k deep unwraps in a loop', async () => {
  for (const depth of [1, 1000, 100_000]) {
    // memo[1] = _rebuild_from_type_v2, memo[2] = torch.Tensor; args_0 = tensorArgs; args_k = (rft, Tensor, args_{k-1}, None)
    const body = op('ctorch._utils\n_rebuild_from_type_v2\n', [0x71, 1, 0x30], 'ctorch\nTensor\n', [0x71, 2, 0x30]);
    body.push(...op('ctorch._utils\n_rebuild_tensor_v2\n', [0x71, 3, 0x30]));
    // args_0 = (_rebuild_tensor_v2, Tensor, tensorArgs, None)
    body.push(...op([0x28, 0x68, 3, 0x68, 2], tensorArgs(2), [0x4e, 0x74]));
    for (let k = 1; k < depth; k++) body.push(...op([0x71, 4, 0x30, 0x28, 0x68, 1, 0x68, 2, 0x68, 4, 0x4e, 0x74]));
    const pickle = Uint8Array.from(op(PROTO, [0x7d], str('w'), body, [0x71, 4, 0x30, 0x68, 1, 0x68, 4, 0x52, 0x73], STOP));
    const out = await quickly(`depth ${depth}`, 5000, () => unpickleRestricted(pickle, 'rft', persistent) as PickleDict);
    assert.deepEqual((out.items.get('w') as { shape: number[] }).shape, [2]);
  }
});

test('a compressed storage that inflates past its tensors (zip bomb) is refused before inflating', async () => {
  for (const mib of [64, 16]) {
    const bomb = checkpoint(op(PROTO, [0x7d], str('w'), tensor(1), [0x73], STOP), new Uint8Array(mib * 2 ** 20), { deflateStorage: true });
    const before = process.memoryUsage().arrayBuffers;
    await quickly(`${mib} MiB bomb`, 2000, () =>
      assert.rejects(openTorchCheckpoint(bomb), (e: unknown) => {
        assert.ok(e instanceof TorchCheckpointError);
        assert.match((e as Error).message, new RegExp(`compressed storage 'archive/data/0' inflates to ${mib * 2 ** 20} bytes but its tensors use 4`));
        return true;
      }),
    );
    assert.ok(process.memoryUsage().arrayBuffers - before < 8 * 2 ** 20, 'the bomb was inflated');
  }
  // A compressed storage that holds exactly its tensors still reads.
  const ok = checkpoint(op(PROTO, [0x7d], str('w'), tensor(2), [0x73], STOP), new Uint8Array(new Float32Array([1.5, -2]).buffer), {
    deflateStorage: true,
    deflatePickle: true,
  });
  const ckpt = await openTorchCheckpoint(ok);
  assert.deepEqual([...(await ckpt.readFloat32('w'))], [1.5, -2]);
  await ckpt.close();
});

test('a data.pkl that inflates past 32 MiB is refused from its header', async () => {
  const big = new Uint8Array(MAX_PICKLE_BYTES + 1024);
  // A deflated data.pkl of 32 MiB + 1 KiB zeros (~33 KB on disk).
  const dir = mkdtempSync(join(tmpdir(), 'hostile-pkl-'));
  const bomb = join(dir, 'model.pt');
  writeFileSync(
    bomb,
    buildZip([
      { name: 'archive/data.pkl', data: big, deflate: true },
      { name: 'archive/data/0', data: new Uint8Array(4) },
    ]),
  );
  await quickly('pickle bomb', 2000, () => assert.rejects(openTorchCheckpoint(bomb), /'archive\/data\.pkl' is 33555456 bytes uncompressed, above the 32 MiB/));
});
