import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AudioError, decodeWav, encodeWav, type WavEncoding } from '../../src/encoders/audio/index.js';

/** Build a WAV byte by byte from chunks, independently of encodeWav. */
function riff(chunks: Array<[string, Uint8Array, number?]>, form = 'WAVE'): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
  for (const [id, body, declared] of chunks) {
    parts.push(...[...id].map((c) => c.charCodeAt(0)), ...u32(declared ?? body.length), ...body);
    if (body.length % 2 === 1 && declared === undefined) parts.push(0);
  }
  return new Uint8Array([...[...'RIFF'].map((c) => c.charCodeAt(0)), ...u32(parts.length + 4), ...[...form].map((c) => c.charCodeAt(0)), ...parts]);
}

function fmtChunk(code: number, channels: number, rate: number, bits: number, extra: number[] = []): Uint8Array {
  const b = new DataView(new ArrayBuffer(16));
  const align = (channels * bits) / 8;
  b.setUint16(0, code, true);
  b.setUint16(2, channels, true);
  b.setUint32(4, rate, true);
  b.setUint32(8, rate * align, true);
  b.setUint16(12, align, true);
  b.setUint16(14, bits, true);
  return new Uint8Array([...new Uint8Array(b.buffer), ...extra]);
}

const bytes = (...v: number[]): Uint8Array => new Uint8Array(v);

test('8-bit unsigned, 16-bit and 24-bit PCM decode to the expected floats', () => {
  const w8 = decodeWav(
    riff([
      ['fmt ', fmtChunk(1, 1, 8000, 8)],
      ['data', bytes(0, 128, 255)],
    ]),
  );
  assert.equal(w8.sampleRate, 8000);
  assert.deepEqual([...w8.channels[0]!], [-1, 0, 127 / 128]);
  const w16 = decodeWav(
    riff([
      ['fmt ', fmtChunk(1, 2, 44100, 16)],
      ['data', bytes(0x00, 0x80, 0xff, 0x7f, 0x00, 0x40, 0xff, 0xff)],
    ]),
  );
  assert.deepEqual([...w16.channels[0]!], [-1, 0.5]); // L: -32768, 16384
  assert.deepEqual([...w16.channels[1]!], [32767 / 32768, -1 / 32768]); // R: 32767, -1
  const w24 = decodeWav(
    riff([
      ['fmt ', fmtChunk(1, 1, 48000, 24)],
      ['data', bytes(0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0x00, 0x00, 0x40)],
    ]),
  );
  assert.deepEqual([...w24.channels[0]!], [-1, -1 / 8388608, 0.5]);
});

test('32-bit int, float32 and float64 samples', () => {
  const d32 = new DataView(new ArrayBuffer(8));
  d32.setInt32(0, -1073741824, true);
  d32.setInt32(4, 2147483647, true);
  const w32 = decodeWav(
    riff([
      ['fmt ', fmtChunk(1, 1, 16000, 32)],
      ['data', new Uint8Array(d32.buffer)],
    ]),
  );
  assert.equal(w32.channels[0]![0], -0.5);
  assert.ok(Math.abs(w32.channels[0]![1]! - 1) < 1e-9);
  const f64 = new DataView(new ArrayBuffer(16));
  f64.setFloat64(0, 0.25, true);
  f64.setFloat64(8, -0.75, true);
  const w64 = decodeWav(
    riff([
      ['fmt ', fmtChunk(3, 1, 16000, 64)],
      ['data', new Uint8Array(f64.buffer)],
    ]),
  );
  assert.deepEqual([...w64.channels[0]!], [0.25, -0.75]);
});

test('WAVE_FORMAT_EXTENSIBLE with a PCM subformat, 24 valid bits in 32-bit containers, 3 channels', () => {
  const guidTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
  const fmt = fmtChunk(0xfffe, 3, 96000, 32, [22, 0, 24, 0, 7, 0, 0, 0, 1, 0, ...guidTail]);
  const data = new DataView(new ArrayBuffer(12));
  data.setInt32(0, 0x40000000, true);
  data.setInt32(4, -0x40000000, true);
  data.setInt32(8, 0x20000000, true);
  const w = decodeWav(
    riff([
      ['fmt ', fmt],
      ['data', new Uint8Array(data.buffer)],
    ]),
  );
  assert.equal(w.channels.length, 3);
  assert.deepEqual(
    w.channels.map((c) => c[0]),
    [0.5, -0.5, 0.25],
  );
  const mp3Guid = fmtChunk(0xfffe, 1, 8000, 16, [22, 0, 16, 0, 4, 0, 0, 0, 0x55, 0, ...guidTail]);
  assert.throws(
    () =>
      decodeWav(
        riff([
          ['fmt ', mp3Guid],
          ['data', bytes(0, 0)],
        ]),
      ),
    /0x0055 \(MP3\)/,
  );
});

test('unknown chunks (odd sizes padded) are skipped; fmt may follow data', () => {
  const w = decodeWav(
    riff([
      ['LIST', bytes(1, 2, 3)],
      ['fmt ', fmtChunk(1, 1, 8000, 16)],
      ['junk', bytes(9)],
      ['data', bytes(0x00, 0x40)],
      ['id3 ', bytes(1, 2, 3, 4, 5)],
    ]),
  );
  assert.deepEqual([...w.channels[0]!], [0.5]);
  const late = decodeWav(
    riff([
      ['data', bytes(0x00, 0xc0)],
      ['fmt ', fmtChunk(1, 1, 8000, 16)],
    ]),
  );
  assert.deepEqual([...late.channels[0]!], [-0.5]);
});

test("data size 0 or 0xFFFFFFFF (streamed writers) means 'to the end of the file'", () => {
  for (const declared of [0, 0xffffffff]) {
    const w = decodeWav(
      riff([
        ['fmt ', fmtChunk(1, 1, 8000, 16)],
        ['data', bytes(0x00, 0x40, 0x00, 0xc0), declared],
      ]),
    );
    assert.deepEqual([...w.channels[0]!], [0.5, -0.5]);
  }
});

test('encodeWav -> decodeWav round trips every format', () => {
  const left = Float32Array.from([0, 0.5, -0.5, 0.999, -1, 0.123456]);
  const right = Float32Array.from([0.25, -0.25, 0.75, -0.75, 0.1, -0.1]);
  const tol: Record<WavEncoding, number> = { pcm8: 1 / 128, pcm16: 1 / 32768, pcm24: 1 / 8388608, pcm32: 1e-9, float32: 0 };
  for (const format of Object.keys(tol) as WavEncoding[]) {
    const bytesOut = encodeWav([left, right], 22050, format);
    const w = decodeWav(bytesOut, `roundtrip.${format}.wav`);
    assert.equal(w.sampleRate, 22050);
    assert.equal(w.channels.length, 2);
    for (const [c, src] of [left, right].entries()) {
      for (let i = 0; i < src.length; i++) {
        assert.ok(Math.abs(w.channels[c]![i]! - src[i]!) <= tol[format] + 1e-12, `${format} ch${c}[${i}]: ${w.channels[c]![i]} vs ${src[i]}`);
      }
    }
  }
  // Out-of-range values clip for integer formats (full scale is one step below +1).
  assert.deepEqual([...decodeWav(encodeWav([Float32Array.from([2, -2])], 8000, 'pcm16')).channels[0]!], [32767 / 32768, -1]);
});

test('broken and unsupported files fail with AudioErrors naming the source and the problem', () => {
  const fmt = fmtChunk(1, 1, 8000, 16);
  const cases: Array<[Uint8Array, RegExp]> = [
    [bytes(1, 2, 3), /only 3 bytes/],
    [riff([['fmt ', fmt]], 'AVI '), /not a WAV file.*'RIFF....AVI '/],
    [riff([['data', bytes(0, 0)]]), /no 'fmt ' chunk/],
    [riff([['fmt ', fmt]]), /no 'data' chunk/],
    [riff([['fmt ', bytes(1, 0, 1, 0)]]), /truncated header: the fmt chunk has 4 bytes/],
    [
      riff([
        ['fmt ', fmt],
        ['data', bytes(0, 0, 0)],
      ]),
      /cut mid-sample: 3 bytes is not a whole number of 2-byte frames/,
    ],
    [
      riff([
        ['fmt ', fmt],
        ['data', bytes(0, 0), 100],
      ]),
      /truncated: the data chunk declares 100 bytes but only 2 follow/,
    ],
    [
      riff([
        ['fmt ', fmtChunk(0x55, 1, 8000, 16)],
        ['data', bytes(0, 0)],
      ]),
      /unsupported codec 0x0055 \(MP3\)/,
    ],
    [
      riff([
        ['fmt ', fmtChunk(2, 1, 8000, 4)],
        ['data', bytes(0, 0)],
      ]),
      /unsupported codec 0x0002 \(Microsoft ADPCM\)/,
    ],
    [
      riff([
        ['fmt ', fmtChunk(1, 0, 8000, 16)],
        ['data', bytes(0, 0)],
      ]),
      /0 channels/,
    ],
    [
      riff([
        ['fmt ', fmtChunk(1, 1, 0, 16)],
        ['data', bytes(0, 0)],
      ]),
      /sample rate of 0 Hz/,
    ],
    [
      riff([
        ['fmt ', fmt],
        ['data', bytes()],
      ]),
      /zero-length audio/,
    ],
    [
      riff([
        ['fmt ', fmtChunk(1, 1, 8000, 12)],
        ['data', bytes(0, 0)],
      ]),
      /unsupported sample layout/,
    ],
  ];
  for (const [file, pattern] of cases) {
    assert.throws(
      () => decodeWav(file, 'clip.wav'),
      (e: unknown) => e instanceof AudioError && /^clip\.wav: /.test(e.message) && pattern.test(e.message),
      `expected ${pattern}`,
    );
  }
});

test("files written by Python's wave module decode to the values written (8/16/24-bit stereo)", () => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'test', 'fixtures', 'audio'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('test/fixtures/audio not found above the test file');
    dir = up;
  }
  for (const bits of [8, 16, 24]) {
    const name = `py_wave_${bits}bit_stereo.wav`;
    const w = decodeWav(new Uint8Array(readFileSync(join(dir, 'test', 'fixtures', 'audio', name))), name);
    assert.equal(w.sampleRate, 11025);
    assert.equal(w.channels.length, 2);
    for (let c = 0; c < 2; c++) {
      assert.equal(w.channels[c]!.length, 12);
      for (let i = 0; i < 12; i++) assert.equal(w.channels[c]![i], (((i * 37 + c * 11) % 200) - 100) / 128, `${name} ch${c}[${i}]`);
    }
  }
});

test('absurd declared sample rates are refused from the 52-byte header alone, before any allocation', () => {
  for (const rate of [15_344_001, 40_000_000, 0xffffffff, 768_001, 999, 1]) {
    const wav = riff([
      ['fmt ', fmtChunk(1, 1, rate, 16)],
      ['data', bytes(0, 0, 1, 0, 2, 0, 3, 0)],
    ]);
    assert.equal(wav.length, 52);
    assert.throws(
      () => decodeWav(wav, 'hostile.wav'),
      (e: unknown) =>
        e instanceof AudioError &&
        new RegExp(`hostile\\.wav: the header declares a sample rate of ${rate} Hz; expected 1000 to 768000 Hz`).test((e as Error).message),
    );
  }
  assert.equal(
    decodeWav(
      riff([
        ['fmt ', fmtChunk(1, 1, 768_000, 16)],
        ['data', bytes(0, 0, 1, 0)],
      ]),
    ).sampleRate,
    768_000,
  );
});

test('float WAVs with NaN or Infinity samples are refused, naming the sample and channel', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const wav = encodeWav([Float32Array.of(0, 0.5), Float32Array.of(0.25, bad)], 16000, 'float32');
    assert.throws(() => decodeWav(wav, 'nan.wav'), new RegExp(`nan\\.wav: sample 1 of channel 1 is ${bad}; float WAV samples must be finite`));
  }
});
