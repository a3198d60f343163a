/**
 * Layers on the engine. A layer is a small object holding its configuration and its parameter-name
 * prefix; forward() declares its parameters in the graph of its input (so the same layer object
 * builds the training graph and the inference graph) and returns the output tensor.
 * Parameter names and layouts follow PyTorch (`0.weight` [out, in], ...), so state dicts interoperate.
 */

import * as F from '../engine/functional.js';
import { fanInUniform } from '../engine/init.js';
import type { Tensor } from '../engine/ir.js';

export const join = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

export class Linear {
  constructor(
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly bias = true,
  ) {}

  forward(x: Tensor): Tensor {
    const g = x.graph;
    const init = fanInUniform(this.inFeatures);
    const w = g.param(join(this.name, 'weight'), [this.outFeatures, this.inFeatures], init);
    const b = this.bias ? g.param(join(this.name, 'bias'), [this.outFeatures], init) : null;
    return F.linear(x, w, b);
  }
}

export class LayerNorm {
  constructor(
    readonly name: string,
    readonly dim: number,
    readonly eps = 1e-5,
  ) {}

  forward(x: Tensor): Tensor {
    const g = x.graph;
    const w = g.param(join(this.name, 'weight'), [this.dim], { kind: 'const', value: 1 });
    const b = g.param(join(this.name, 'bias'), [this.dim], { kind: 'const', value: 0 });
    return F.layerNorm(x, w, b, this.eps);
  }
}

/**
 * BatchNorm over [N, C] or [N, C, ...]. In a training graph: batch statistics, and running
 * statistics updated as PyTorch does (momentum, unbiased variance, num_batches_tracked); calling it
 * twice in one graph chains the updates, like two calls in one PyTorch step. Otherwise: running stats.
 */
export class BatchNorm {
  constructor(
    readonly name: string,
    readonly channels: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
  ) {}

  forward(x: Tensor): Tensor {
    const g = x.graph;
    const c = this.channels;
    const w = g.param(join(this.name, 'weight'), [c], { kind: 'const', value: 1 });
    const b = g.param(join(this.name, 'bias'), [c], { kind: 'const', value: 0 });
    const rmName = join(this.name, 'running_mean');
    const rvName = join(this.name, 'running_var');
    const nbName = join(this.name, 'num_batches_tracked');
    g.buffer(rmName, [c], { kind: 'const', value: 0 });
    g.buffer(rvName, [c], { kind: 'const', value: 1 });
    g.buffer(nbName, [], { kind: 'const', value: 0 });
    const bshape = [c, ...x.shape.slice(2).map(() => 1)];
    let mean: Tensor;
    let variance: Tensor;
    if (g.training) {
      const m = F.batchMoments(x, 1);
      mean = m.mean;
      variance = m.variance;
      const mom = this.momentum;
      const flatMean = m.mean.reshape([c]);
      // Running variance uses the unbiased estimate n/(n-1) var.
      const unbiased = m.variance.reshape([c]).mul(m.count.div(m.count.sub(1)));
      g.updateBuffer(
        rmName,
        g
          .bufferValue(rmName)
          .mul(1 - mom)
          .add(flatMean.mul(mom).stopGradient()),
      );
      g.updateBuffer(
        rvName,
        g
          .bufferValue(rvName)
          .mul(1 - mom)
          .add(unbiased.mul(mom).stopGradient()),
      );
      g.updateBuffer(nbName, g.bufferValue(nbName).add(1));
    } else {
      mean = g.bufferValue(rmName).reshape(bshape);
      variance = g.bufferValue(rvName).reshape(bshape);
    }
    const y = x.sub(mean).div(variance.add(this.eps).sqrt());
    return y.mul(w.reshape(bshape)).add(b.reshape(bshape));
  }
}

export class GroupNorm {
  constructor(
    readonly name: string,
    readonly groups: number,
    readonly channels: number,
    readonly eps = 1e-5,
  ) {}

  forward(x: Tensor): Tensor {
    const g = x.graph;
    const w = g.param(join(this.name, 'weight'), [this.channels], { kind: 'const', value: 1 });
    const b = g.param(join(this.name, 'bias'), [this.channels], { kind: 'const', value: 0 });
    return F.groupNorm(x, this.groups, w, b, this.eps);
  }
}

export class Embedding {
  constructor(
    readonly name: string,
    readonly count: number,
    readonly dim: number,
    readonly std = 1,
  ) {}

  forward(ids: Tensor): Tensor {
    const table = ids.graph.param(join(this.name, 'weight'), [this.count, this.dim], { kind: 'normal', std: this.std });
    return F.embedding(table, ids);
  }
}

/** Conv1d / Conv2d with PyTorch weight layout [out, in, ...kernel] and default init. */
export class Conv {
  constructor(
    readonly name: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    readonly dims: 1 | 2,
    readonly opts: F.ConvOptions & { bias?: boolean } = {},
  ) {}

  forward(x: Tensor): Tensor {
    const g = x.graph;
    const ks = new Array<number>(this.dims).fill(this.kernel);
    const init = fanInUniform(this.inChannels * ks.reduce((a, b) => a * b, 1));
    const w = g.param(join(this.name, 'weight'), [this.outChannels, this.inChannels, ...ks], init);
    const b = this.opts.bias === false ? null : g.param(join(this.name, 'bias'), [this.outChannels], init);
    return F.conv(x, w, b, this.opts);
  }
}
