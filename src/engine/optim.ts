/**
 * Optimizers as graph fragments: the update of every parameter is part of the training-step ONNX,
 * so one onnxruntime call does forward, backward and update. Learning rate and bias corrections are
 * scalar inputs fed per step, so schedules live in TypeScript (schedules.ts). Semantics follow
 * PyTorch's torch.optim (SGD with momentum, Adam with L2 weight decay, AdamW with decoupled decay).
 */

import { minimum } from './functional.js';
import type { Graph, Tensor } from './ir.js';

export type OptimizerConfig =
  | {
      kind: 'sgd';
      /** Momentum factor (PyTorch: buf = momentum * buf + g; 0 disables the buffer). */
      momentum?: number;
      /** L2 penalty added to the gradient. */
      weightDecay?: number;
    }
  | {
      kind: 'adam' | 'adamw';
      beta1?: number; // default 0.9
      beta2?: number; // default 0.999
      eps?: number; // default 1e-8, added after the square root (PyTorch)
      /** adam: L2 added to the gradient (default 0); adamw: decoupled decay (default 0.01). */
      weightDecay?: number;
    };

/** Names of the per-parameter state slots, in a fixed order. */
export function stateSlots(cfg: OptimizerConfig): string[] {
  if (cfg.kind === 'sgd') return (cfg.momentum ?? 0) > 0 ? ['momentum_buffer'] : [];
  return ['exp_avg', 'exp_avg_sq'];
}

/** Scalar inputs of the step graph. */
export interface StepScalars {
  lr: Tensor;
  /** 1 - beta1^t and 1 - beta2^t, computed in TypeScript from the step count. */
  biasCorrection1: Tensor;
  biasCorrection2: Tensor;
}

export function declareScalars(graph: Graph): StepScalars {
  return {
    lr: graph.input('lr', []),
    biasCorrection1: graph.input('bias_correction1', []),
    biasCorrection2: graph.input('bias_correction2', []),
  };
}

export function scalarValues(cfg: OptimizerConfig, step: number, lr: number): Record<'lr' | 'bias_correction1' | 'bias_correction2', number> {
  if (cfg.kind === 'sgd') return { lr, bias_correction1: 1, bias_correction2: 1 };
  const b1 = cfg.beta1 ?? 0.9;
  const b2 = cfg.beta2 ?? 0.999;
  return { lr, bias_correction1: 1 - b1 ** step, bias_correction2: 1 - b2 ** step };
}

/** The updated parameter and state tensors for one parameter. */
export function applyUpdate(cfg: OptimizerConfig, param: Tensor, grad: Tensor, state: Tensor[], s: StepScalars): { param: Tensor; state: Tensor[] } {
  switch (cfg.kind) {
    case 'sgd': {
      let g = grad;
      if (cfg.weightDecay) g = g.add(param.mul(cfg.weightDecay));
      const mu = cfg.momentum ?? 0;
      if (mu > 0) {
        // buf_t = mu buf_{t-1} + g   (buf_0 = 0 makes the first step buf = g, as PyTorch)
        const buf = state[0]!.mul(mu).add(g);
        return { param: param.sub(buf.mul(s.lr)), state: [buf] };
      }
      return { param: param.sub(g.mul(s.lr)), state: [] };
    }
    case 'adam':
    case 'adamw': {
      const b1 = cfg.beta1 ?? 0.9;
      const b2 = cfg.beta2 ?? 0.999;
      const eps = cfg.eps ?? 1e-8;
      let g = grad;
      let p = param;
      const wd = cfg.weightDecay ?? (cfg.kind === 'adamw' ? 0.01 : 0);
      if (cfg.kind === 'adam' && wd) g = g.add(param.mul(wd));
      // AdamW: p <- p (1 - lr wd), before the Adam step
      if (cfg.kind === 'adamw' && wd) p = p.sub(param.mul(s.lr.mul(wd)));
      // m_t = b1 m + (1 - b1) g;  v_t = b2 v + (1 - b2) g^2
      const m = state[0]!.mul(b1).add(g.mul(1 - b1));
      const v = state[1]!.mul(b2).add(g.mul(g).mul(1 - b2));
      // p_t = p - lr/bc1 * m_t / (sqrt(v_t) / sqrt(bc2) + eps)
      const denom = v.sqrt().div(s.biasCorrection2.sqrt()).add(eps);
      const stepSize = s.lr.div(s.biasCorrection1);
      return { param: p.sub(m.div(denom).mul(stepSize)), state: [m, v] };
    }
  }
}

/** Scales all gradients so their global L2 norm is at most maxNorm (torch.nn.utils.clip_grad_norm_). */
export function clipByGlobalNorm(grads: Tensor[], maxNorm: number): { grads: Tensor[]; norm: Tensor } {
  const g0 = grads[0]!;
  let sq = g0.graph.scalar(0);
  for (const g of grads) {
    const axes = g.shape.map((_, i) => i);
    sq = sq.add(axes.length ? g.mul(g).sum(axes) : g.mul(g));
  }
  const norm = sq.sqrt();
  const coef = minimum(g0.graph.scalar(maxNorm).div(norm.add(1e-6)), g0.graph.scalar(1));
  return { grads: grads.map((g) => g.mul(coef)), norm };
}
