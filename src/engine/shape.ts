/**
 * Static shapes with one kind of symbolic dimension.
 *
 * A dimension is a number, or a symbol such as "batch" optionally scaled by an integer ("77*batch",
 * produced when a reshape folds the batch into another axis). Everything else is known at build time,
 * so shape errors surface when the graph is built, not when onnxruntime runs it.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

export class ShapeError extends Error {
  override name = 'ShapeError';
}

interface SymDim {
  coef: number;
  sym: string;
}

function parseDim(d: Dim): SymDim | number {
  if (typeof d === 'number') return d;
  const m = /^(?:(\d+)\*)?([A-Za-z_][A-Za-z0-9_]*)$/.exec(d);
  if (!m) throw new ShapeError(`internal: malformed symbolic dim '${d}'`);
  return { coef: m[1] ? Number(m[1]) : 1, sym: m[2] as string };
}

function formatSym(coef: number, sym: string): Dim {
  return coef === 1 ? sym : `${coef}*${sym}`;
}

export function isSymbolic(d: Dim): d is string {
  return typeof d === 'string';
}

export function dimEq(a: Dim, b: Dim): boolean {
  return a === b;
}

/** a * b where at most one side is symbolic. */
export function dimMul(a: Dim, b: Dim): Dim {
  const pa = parseDim(a);
  const pb = parseDim(b);
  if (typeof pa === 'number' && typeof pb === 'number') return pa * pb;
  if (typeof pa === 'number' && typeof pb !== 'number') return pa === 0 ? 0 : formatSym(pa * pb.coef, pb.sym);
  if (typeof pb === 'number' && typeof pa !== 'number') return pb === 0 ? 0 : formatSym(pb * pa.coef, pa.sym);
  throw new ShapeError(`a product of two symbolic dims (${a} * ${b}) is not supported`);
}

/** a / b, exact, where b is numeric or the same symbol as a. */
export function dimDiv(a: Dim, b: Dim): Dim | null {
  const pa = parseDim(a);
  const pb = parseDim(b);
  if (typeof pa === 'number' && typeof pb === 'number') return pb !== 0 && pa % pb === 0 ? pa / pb : null;
  if (typeof pa !== 'number' && typeof pb === 'number') {
    return pb !== 0 && pa.coef % pb === 0 ? formatSym(pa.coef / pb, pa.sym) : null;
  }
  if (typeof pa !== 'number' && typeof pb !== 'number' && pa.sym === pb.sym) {
    return pa.coef % pb.coef === 0 ? pa.coef / pb.coef : null;
  }
  return null;
}

export function numel(shape: Shape): Dim {
  return shape.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
}

/** Number of elements of a fully static shape. */
export function staticNumel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Numpy broadcasting of two shapes; throws naming the op and both shapes. */
export function broadcastShapes(a: Shape, b: Shape, op: string): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : (a[i - (rank - a.length)] as Dim);
    const db = i < rank - b.length ? 1 : (b[i - (rank - b.length)] as Dim);
    if (dimEq(da, db)) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else throw new ShapeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast (axis ${i}: ${da} vs ${db})`);
  }
  return out;
}

/** Normalises a possibly negative axis; throws naming the op. */
export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** Resolves a concrete shape given values for symbols (e.g. {batch: 32}). */
export function resolveShape(shape: Shape, symbols: Readonly<Record<string, number>>): number[] {
  return shape.map((d) => {
    const p = parseDim(d);
    if (typeof p === 'number') return p;
    const v = symbols[p.sym];
    if (v === undefined) throw new ShapeError(`no value given for symbolic dim '${p.sym}'`);
    return p.coef * v;
  });
}

/** Binds symbols by matching a symbolic shape against a concrete one. */
export function bindSymbols(shape: Shape, actual: readonly number[], into: Record<string, number>, what: string): void {
  if (shape.length !== actual.length) {
    throw new ShapeError(`${what}: expected rank ${shape.length} ${fmt(shape)}, got ${fmt(actual)}`);
  }
  shape.forEach((d, i) => {
    const a = actual[i] as number;
    const p = parseDim(d);
    if (typeof p === 'number') {
      if (p !== a) throw new ShapeError(`${what}: expected shape ${fmt(shape)}, got ${fmt(actual)}`);
      return;
    }
    if (a % p.coef !== 0) throw new ShapeError(`${what}: dim ${i} = ${a} is not a multiple of ${p.coef}`);
    const v = a / p.coef;
    const prev = into[p.sym];
    if (prev !== undefined && prev !== v) {
      throw new ShapeError(`${what}: '${p.sym}' is ${v} here but ${prev} elsewhere (shape ${fmt(actual)})`);
    }
    into[p.sym] = v;
  });
}
