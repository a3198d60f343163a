/**
 * Discrete Fourier transforms of any length: iterative radix-2 for powers of two, Bluestein's chirp-z
 * (via a power-of-two FFT) for every other length, and a real-input FFT built on a half-length
 * complex one. Forward transforms use X[k] = sum_j x[j] exp(-2 pi i j k / n), as numpy.fft does.
 */

/** In-place complex DFT of a fixed length. */
export class ComplexFft {
  readonly n: number;
  private readonly radix2: Radix2 | null;
  private readonly bluestein: Bluestein | null;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`FFT length ${n} must be a positive integer`);
    this.n = n;
    this.radix2 = isPowerOfTwo(n) ? new Radix2(n) : null;
    this.bluestein = this.radix2 ? null : new Bluestein(n);
  }

  /** Forward transform of (re, im) in place. */
  forward(re: Float64Array, im: Float64Array): void {
    if (re.length !== this.n || im.length !== this.n) {
      throw new Error(`internal: FFT of length ${this.n} given arrays of ${re.length} and ${im.length}`);
    }
    if (this.radix2) this.radix2.transform(re, im, false);
    else this.bluestein!.transform(re, im);
  }

  /** Inverse transform in place, normalised by 1/n (so inverse(forward(x)) = x). */
  inverse(re: Float64Array, im: Float64Array): void {
    // ifft(X) = conj(fft(conj(X))) / n
    for (let i = 0; i < this.n; i++) im[i] = -im[i]!;
    this.forward(re, im);
    const s = 1 / this.n;
    for (let i = 0; i < this.n; i++) {
      re[i] = re[i]! * s;
      im[i] = -im[i]! * s;
    }
  }
}

/** FFT of real input: n real samples -> floor(n/2) + 1 complex bins (numpy.fft.rfft). */
export class RealFft {
  readonly n: number;
  readonly bins: number;
  private readonly half: ComplexFft | null;
  private readonly full: ComplexFft | null;
  private readonly zRe: Float64Array;
  private readonly zIm: Float64Array;
  private readonly twRe: Float64Array;
  private readonly twIm: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`FFT length ${n} must be a positive integer`);
    this.n = n;
    this.bins = Math.floor(n / 2) + 1;
    const even = n % 2 === 0 && n >= 2;
    const m = even ? n / 2 : n;
    this.half = even ? new ComplexFft(m) : null;
    this.full = even ? null : new ComplexFft(n);
    this.zRe = new Float64Array(m);
    this.zIm = new Float64Array(m);
    this.twRe = new Float64Array(this.bins);
    this.twIm = new Float64Array(this.bins);
    for (let k = 0; k < this.bins; k++) {
      this.twRe[k] = Math.cos((2 * Math.PI * k) / n);
      this.twIm[k] = -Math.sin((2 * Math.PI * k) / n);
    }
  }

  /** Transform `input` (length n) into outRe/outIm (length bins). */
  forward(input: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
    const { n, zRe, zIm } = this;
    if (input.length !== n) throw new Error(`internal: real FFT of length ${n} given ${input.length} samples`);
    if (!this.half) {
      for (let i = 0; i < n; i++) {
        zRe[i] = input[i]!;
        zIm[i] = 0;
      }
      this.full!.forward(zRe, zIm);
      for (let k = 0; k < this.bins; k++) {
        outRe[k] = zRe[k]!;
        outIm[k] = zIm[k]!;
      }
      return;
    }
    // Pack even/odd samples as one complex signal z[j] = x[2j] + i x[2j+1], transform at half length,
    // then split: X[k] = E[k] + w^k O[k] with E = (Z[k] + conj Z[m-k]) / 2, O = (Z[k] - conj Z[m-k]) / 2i.
    const m = n / 2;
    for (let j = 0; j < m; j++) {
      zRe[j] = input[2 * j]!;
      zIm[j] = input[2 * j + 1]!;
    }
    this.half.forward(zRe, zIm);
    for (let k = 0; k <= m; k++) {
      const a = k % m;
      const b = (m - k) % m;
      const zr = zRe[a]!;
      const zi = zIm[a]!;
      const cr = zRe[b]!;
      const ci = -zIm[b]!; // conj Z[m-k]
      const er = 0.5 * (zr + cr);
      const ei = 0.5 * (zi + ci);
      // (Z - conj) / 2i = (dI/2) - i (dR/2)
      const or = 0.5 * (zi - ci);
      const oi = -0.5 * (zr - cr);
      const wr = this.twRe[k]!;
      const wi = this.twIm[k]!;
      outRe[k] = er + wr * or - wi * oi;
      outIm[k] = ei + wr * oi + wi * or;
    }
  }
}

class Radix2 {
  private readonly n: number;
  private readonly rev: Uint32Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(n: number) {
    this.n = n;
    this.rev = new Uint32Array(n);
    const bits = Math.round(Math.log2(n));
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    this.cos = new Float64Array(n / 2);
    this.sin = new Float64Array(n / 2);
    for (let i = 0; i < n / 2; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / n);
      this.sin[i] = Math.sin((2 * Math.PI * i) / n);
    }
  }

  transform(re: Float64Array, im: Float64Array, inverse: boolean): void {
    const { n, rev } = this;
    for (let i = 0; i < n; i++) {
      const j = rev[i]!;
      if (j > i) {
        let t = re[i]!;
        re[i] = re[j]!;
        re[j] = t;
        t = im[i]!;
        im[i] = im[j]!;
        im[j] = t;
      }
    }
    const sign = inverse ? 1 : -1;
    for (let size = 2; size <= n; size *= 2) {
      const half = size / 2;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step]!;
          const wi = sign * this.sin[k * step]!;
          const a = start + k;
          const b = a + half;
          const br = re[b]! * wr - im[b]! * wi;
          const bi = re[b]! * wi + im[b]! * wr;
          re[b] = re[a]! - br;
          im[b] = im[a]! - bi;
          re[a] = re[a]! + br;
          im[a] = im[a]! + bi;
        }
      }
    }
  }
}

/** Bluestein: X[k] = w[k] * sum_j (x[j] w[j]) conj(w[k-j]), w[j] = exp(-i pi j^2 / n), a convolution. */
class Bluestein {
  private readonly n: number;
  private readonly m: number;
  private readonly fft: Radix2;
  private readonly wRe: Float64Array;
  private readonly wIm: Float64Array;
  /** FFT of the chirp filter conj(w) laid out circularly in length m. */
  private readonly bRe: Float64Array;
  private readonly bIm: Float64Array;
  private readonly aRe: Float64Array;
  private readonly aIm: Float64Array;

  constructor(n: number) {
    this.n = n;
    let m = 1;
    while (m < 2 * n - 1) m *= 2;
    this.m = m;
    this.fft = new Radix2(m);
    this.wRe = new Float64Array(n);
    this.wIm = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      // j^2 mod 2n keeps the angle small and exact for large j.
      const jj = (j * j) % (2 * n);
      this.wRe[j] = Math.cos((Math.PI * jj) / n);
      this.wIm[j] = -Math.sin((Math.PI * jj) / n);
    }
    this.bRe = new Float64Array(m);
    this.bIm = new Float64Array(m);
    for (let j = 0; j < n; j++) {
      this.bRe[j] = this.wRe[j]!;
      this.bIm[j] = -this.wIm[j]!;
      if (j > 0) {
        this.bRe[m - j] = this.wRe[j]!;
        this.bIm[m - j] = -this.wIm[j]!;
      }
    }
    this.fft.transform(this.bRe, this.bIm, false);
    this.aRe = new Float64Array(m);
    this.aIm = new Float64Array(m);
  }

  transform(re: Float64Array, im: Float64Array): void {
    const { n, m, aRe, aIm, wRe, wIm, bRe, bIm } = this;
    aRe.fill(0);
    aIm.fill(0);
    for (let j = 0; j < n; j++) {
      aRe[j] = re[j]! * wRe[j]! - im[j]! * wIm[j]!;
      aIm[j] = re[j]! * wIm[j]! + im[j]! * wRe[j]!;
    }
    this.fft.transform(aRe, aIm, false);
    for (let k = 0; k < m; k++) {
      const r = aRe[k]! * bRe[k]! - aIm[k]! * bIm[k]!;
      aIm[k] = aRe[k]! * bIm[k]! + aIm[k]! * bRe[k]!;
      aRe[k] = r;
    }
    this.fft.transform(aRe, aIm, true);
    const s = 1 / m;
    for (let k = 0; k < n; k++) {
      const cr = aRe[k]! * s;
      const ci = aIm[k]! * s;
      re[k] = cr * wRe[k]! - ci * wIm[k]!;
      im[k] = cr * wIm[k]! + ci * wRe[k]!;
    }
  }
}

function isPowerOfTwo(n: number): boolean {
  return (n & (n - 1)) === 0;
}
