/**
 * Reverse-mode automatic differentiation over the graph: walks the nodes between the loss and the
 * requested leaves in reverse topological order, applies each op's gradient rule (ops.ts) and sums
 * the contributions of tensors used more than once. The gradients are new nodes of the same graph.
 */
import type { Tensor } from './ir.js';
import { OP_DEFS, type Op, type OpDef } from './ops.js';
import { fmt } from './shape.js';

export class GradientError extends Error {
  override name = 'GradientError';
}

/**
 * d loss / d t for every t in wrt (zeros-free: a tensor the loss does not depend on gets null).
 * `seed` is the gradient of the loss itself (defaults to 1 for a scalar loss).
 */
export function gradients(loss: Tensor, wrt: Tensor[], seed?: Tensor): (Tensor | null)[] {
  const graph = loss.graph;
  if (!seed) {
    const n = loss.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : Number.NaN), 1);
    if (n !== 1) throw new GradientError(`gradients: the loss must be a scalar, got shape ${fmt(loss.shape)} (pass a seed gradient instead)`);
    seed = graph.scalar(1).expand([...loss.shape]);
  }

  // Tensors that depend on some wrt tensor (forward reachability; ids are topological).
  const wrtIds = new Set(wrt.map((t) => t.id));
  const dependsOnWrt = new Set<number>(wrtIds);
  for (const t of graph.tensors) {
    if (t.id > loss.id) break;
    if (t.node.kind === 'op' && t.node.inputs.some((i) => dependsOnWrt.has(i.id))) dependsOnWrt.add(t.id);
  }
  if (!dependsOnWrt.has(loss.id)) return wrt.map(() => null);

  const grads = new Map<number, Tensor>([[loss.id, seed]]);
  const accumulate = (t: Tensor, g: Tensor): void => {
    const prev = grads.get(t.id);
    grads.set(t.id, prev ? prev.add(g) : g);
  };

  for (let id = loss.id; id >= 0; id--) {
    const y = graph.tensors[id]!;
    const g = grads.get(id);
    if (!g || y.node.kind !== 'op') continue;
    const node = y.node;
    const needs = node.inputs.map((i) => dependsOnWrt.has(i.id) && i.dtype === 'float32');
    if (!needs.some(Boolean)) continue;
    const def = OP_DEFS[node.op] as OpDef<Op>;
    if (!def.grad) {
      throw new GradientError(`autodiff: op '${node.op}' has no gradient rule, but the loss depends on its input through tensor t${id} ${fmt(y.shape)}`);
    }
    const inputGrads = def.grad(g, node.inputs, y, node.params);
    node.inputs.forEach((x, k) => {
      const gx = inputGrads[k];
      if (!needs[k] || !gx) return;
      if (fmt(gx.shape) !== fmt(x.shape)) {
        throw new GradientError(`internal: gradient of ${node.op} input ${k} has shape ${fmt(gx.shape)}, expected ${fmt(x.shape)}`);
      }
      accumulate(x, gx);
    });
  }
  return wrt.map((t) => grads.get(t.id) ?? null);
}
