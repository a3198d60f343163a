import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bfloat16ToFloat32, float16ToFloat32 } from '../../src/io/half.js';
import type { NamedTensor } from '../../src/io/safetensors.js';
import {
  loadTorchCheckpoint,
  openTorchCheckpoint,
  PickleDict,
  type PickleValue,
  TorchCheckpointError,
  UnsafePickleError,
  unpickleRestricted,
} from '../../src/io/torch-pickle.js';

// Fixtures written by scripts/fixtures/make_torch_ckpt.py with PyTorch 1.13; expected.json holds the
// values torch itself reported, so these tests compare against PyTorch, not against this loader.
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'torch');
const fixture = (name: string): string => path.join(FIXTURES, name);
interface Expected {
  dtype: string;
  shape: number[];
  values: number[];
}
const EXPECTED = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as Record<string, Record<string, Expected>>;

/** Element values as plain numbers (F16/BF16 widened, I64 via Number: fixtures stay below 2^53). */
function valuesOf(t: NamedTensor): number[] {
  if (t.dtype === 'F16') return [...float16ToFloat32(t.data as Uint16Array)];
  if (t.dtype === 'BF16') return [...bfloat16ToFloat32(t.data as Uint16Array)];
  if (t.dtype === 'I64') return [...(t.data as BigInt64Array)].map(Number);
  return Array.from(t.data as ArrayLike<number>);
}

for (const file of Object.keys(EXPECTED)) {
  test(`${file}: names, dtypes, shapes and values match what PyTorch saved`, async () => {
    const tensors = await loadTorchCheckpoint(fixture(file));
    const expected = EXPECTED[file]!;
    assert.deepEqual([...tensors.keys()].sort(), Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      const got = tensors.get(name)!;
      assert.equal(got.dtype, want.dtype, name);
      assert.deepEqual(got.shape, want.shape, name);
      assert.deepEqual(valuesOf(got), want.values, name);
    }
  });
}

test('state dicts keep pickle order; nested dicts flatten with dots; non-tensors are skipped', async () => {
  const ckpt = await openTorchCheckpoint(fixture('nested.pt'));
  try {
    assert.deepEqual(ckpt.names(), [
      'state_dict.0.weight',
      'state_dict.0.bias',
      'state_dict.1.weight',
      'state_dict.1.bias',
      'state_dict.1.running_mean',
      'state_dict.1.running_var',
      'state_dict.1.num_batches_tracked',
      'history.1',
    ]);
    assert.deepEqual(ckpt.info('state_dict.1.num_batches_tracked'), { dtype: 'I64', shape: [], byteLength: 8 });
    assert.deepEqual(ckpt.info('state_dict.0.weight'), { dtype: 'F32', shape: [3, 4], byteLength: 48 });
    assert.equal((await ckpt.read('state_dict.1.num_batches_tracked')).data[0], 1n);
    await assert.rejects(ckpt.read('epoch'), /no tensor named 'epoch'/);
  } finally {
    await ckpt.close();
  }
});

test('strided views: transposed, offset slices sharing storage, expanded (stride 0) become contiguous', async () => {
  const ckpt = await openTorchCheckpoint(fixture('strided.pt'));
  try {
    const base = await ckpt.readFloat32('base'); // [4, 6]
    const slice = await ckpt.readFloat32('slice'); // base[1:3, 2:5]
    assert.deepEqual([...slice], [base[8]!, base[9]!, base[10]!, base[14]!, base[15]!, base[16]!]);
    const column = await ckpt.readFloat32('column'); // base[:, 1]
    assert.deepEqual([...column], [base[1]!, base[7]!, base[13]!, base[19]!]);
    const expanded = await ckpt.readFloat32('expanded'); // [3, 4] with stride (1, 0)
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) assert.equal(expanded[r * 4 + c], expanded[r * 4]);
  } finally {
    await ckpt.close();
  }
});

test('malicious checkpoints are refused before anything runs', async () => {
  for (const [file, global] of [
    ['malicious.pt', 'os.system'],
    ['malicious_p4.pt', 'builtins.eval'],
  ] as const) {
    await assert.rejects(
      loadTorchCheckpoint(fixture(file)),
      (e: Error) =>
        e instanceof UnsafePickleError &&
        e.message.includes(`refusing to load global '${global}'`) &&
        e.message.includes(fixture(file)) &&
        e.message.includes('only tensors and dicts are allowed'),
      file,
    );
  }
  assert.equal(existsSync('/tmp/gluegen-pwned-os-1'), false);
  assert.equal(existsSync('/tmp/gluegen-pwned'), false);
});

test('legacy, big-endian, out-of-range and non-checkpoint files get clear errors', async () => {
  await assert.rejects(
    loadTorchCheckpoint(fixture('legacy.pt')),
    (e: Error) => e instanceof TorchCheckpointError && /legacy/.test(e.message) && /re-save/.test(e.message),
  );
  await assert.rejects(loadTorchCheckpoint(fixture('big_endian.pt')), /'big' byte order/);
  await assert.rejects(loadTorchCheckpoint(fixture('out_of_range.pt')), /reaches element 5 of storage '0', which holds 4/);
  await assert.rejects(loadTorchCheckpoint(fixture('expected.json')), /is not a PyTorch checkpoint/);
});

// --- the unpickler on hand-assembled opcodes -----------------------------------------------------

const noPersistent = (): PickleValue => {
  throw new Error('unexpected persistent id');
};
const bytes = (...parts: Array<number[] | string>): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

test('unpickler: scalars, LONG1, BINFLOAT, memo and containers', () => {
  // {'a': [1, -2, 2**70, 1.5, None, True], 'b': <same list via BINGET>, 7: 'x'}
  const pickle = bytes(
    [0x80, 2, 0x7d, 0x28], // PROTO 2, EMPTY_DICT, MARK
    [0x58, 1, 0, 0, 0],
    'a',
    [0x5d, 0x71, 5, 0x28], // EMPTY_LIST, BINPUT 5, MARK
    [0x4b, 1, 0x4a, 0xfe, 0xff, 0xff, 0xff], // BININT1 1, BININT -2
    [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40], // LONG1 9 bytes: 2**70
    [0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0], // BINFLOAT 1.5 (big-endian)
    [0x4e, 0x88, 0x65], // NONE, NEWTRUE, APPENDS
    [0x8c, 1],
    'b',
    [0x68, 5], // SHORT_BINUNICODE 'b', BINGET 5
    [0x4b, 7, 0x8c, 1],
    'x',
    [0x75, 0x2e], // SETITEMS, STOP
  );
  const out = unpickleRestricted(pickle, 'inline', noPersistent) as PickleDict;
  assert.ok(out instanceof PickleDict);
  const list = out.items.get('a');
  assert.deepEqual(list, [1, -2, 2n ** 70n, 1.5, null, true]);
  assert.equal(out.items.get('b'), list); // same object through the memo
  assert.equal(out.items.get(7), 'x');
  // LONG1 negative: 0xff 0x7f -> -129
  assert.equal(unpickleRestricted(bytes([0x80, 2, 0x8a, 2, 0x7f, 0xff, 0x2e]), 'inline', noPersistent), -129);
});

test('unpickler: unknown opcodes and disallowed globals raise UnsafePickleError; damage raises TorchCheckpointError', () => {
  const unsafe = (pickle: Uint8Array, pattern: RegExp): void =>
    assert.throws(
      () => unpickleRestricted(pickle, 'inline.pt', noPersistent),
      (e: Error) => e instanceof UnsafePickleError && pattern.test(e.message) && e.message.includes('inline.pt'),
    );
  unsafe(bytes([0x80, 2], 'cposix\nsystem\n', [0x2e]), /global 'posix.system'/);
  unsafe(bytes([0x80, 4, 0x8c, 8], 'builtins', [0x8c, 4], 'exec', [0x93, 0x2e]), /global 'builtins.exec'/);
  unsafe(bytes([0x80, 2], 'ctorch\nload\n', [0x2e]), /global 'torch.load'/);
  unsafe(bytes([0x80, 2, 0x28], 'ios\nsystem\n', [0x2e]), /opcode 0x69 at byte 3/); // INST
  unsafe(bytes([0x80, 2, 0x82, 1, 0x2e]), /opcode 0x82/); // EXT1
  const damaged = (pickle: Uint8Array, pattern: RegExp): void =>
    assert.throws(
      () => unpickleRestricted(pickle, 'inline.pt', noPersistent),
      (e: Error) => e instanceof TorchCheckpointError && pattern.test(e.message),
    );
  damaged(bytes([0x80, 2, 0x58, 0xff, 0xff, 0, 0, 0x61]), /ends early/);
  damaged(bytes([0x80, 2, 0x68, 3, 0x2e]), /memo entry 3 is missing/);
  damaged(bytes([0x80, 2, 0x2e]), /stack underflow/);
  damaged(bytes([0x80, 2, 0x7d, 0x5d, 0x4b, 1, 0x73, 0x2e]), /dict keys must be/); // {[]: 1}
  // An allowed global used in a way torch never does is still refused.
  damaged(bytes([0x80, 2], 'ctorch\nFloatStorage\n', [0x29, 0x52, 0x2e]), /'torch.FloatStorage' cannot be called/);
});
