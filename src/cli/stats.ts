import { FeatureSource } from '../gluenet/data.js';
import { perTokenNorm, suggestedScales } from '../gluenet/stats.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type Command, parseFlags, renamedFlag, requireString, UsageError } from './command.js';

const usage = `gluegen stats — per-token mean L2 norm of generator features (GlueNet's cond_norm)

usage: gluegen stats --cond C.safetensors [--out norm.json]
       gluegen stats --cond C.safetensors --x X.safetensors [--out suggested.json]

C (--cond, formerly --features; as in train and eval) holds the generator encoder's features.

Prints the JSON array (one number per token); put it in a GlueNet config as "cond_norm" when your
generator is not SD 1.x with CLIP-L (for which the "clip-l-sd1" preset holds the release's values).

With --x (the new encoder's features, paired row by row with C) it prints the config values that
depend on your encoders' scales instead of CLIP-L's, measured on the data: x_scale, cond_norm,
loss_weights (1 / variance of each term's target, so alignment and reconstruction start near 1;
the adversarial weight keeps the release's ratio) and final_gelu (false when more than 1% of the
target values lie below the release head's GELU floor, which it could never output). Copy them into
your config.json.`;

export const statsCommand: Command = {
  name: 'stats',
  summary: "compute cond_norm (per-token feature norms) of a generator's features",
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, { cond: { type: 'string' }, features: { type: 'string' }, x: { type: 'string' }, out: { type: 'string' } }, 'stats');
    renamedFlag(values, 'cond', 'features', 'stats');
    const src = await FeatureSource.open(requireString(values, 'cond', 'stats'));
    let json: string;
    if (typeof values.x === 'string') {
      const x = await FeatureSource.open(values.x);
      try {
        if (x.rows !== src.rows) throw new UsageError(`stats: --x has ${x.rows} rows but --cond has ${src.rows}; they must be paired row by row`);
        const s = await suggestedScales(x, src);
        json = JSON.stringify(
          {
            x_scale: s.x_scale,
            cond_norm: s.cond_norm,
            loss_weights: s.loss_weights,
            final_gelu: s.belowGeluFloor <= 0.01,
            below_gelu_floor: Number(s.belowGeluFloor.toFixed(4)),
          },
          null,
          2,
        );
      } finally {
        await x.close();
        await src.close();
      }
    } else {
      const norm = await perTokenNorm(src);
      await src.close();
      json = JSON.stringify(norm);
    }
    if (typeof values.out === 'string') {
      await writeFileAtomic(values.out, `${json}\n`);
      console.log(
        `${typeof values.x === 'string' ? 'suggested config values' : 'cond_norm'} of ${src.rows} rows x ${src.tokens} tokens written to ${values.out}`,
      );
    } else {
      console.log(json);
    }
  },
};
