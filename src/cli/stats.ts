import { FeatureSource } from '../gluenet/data.js';
import { perTokenNorm } from '../gluenet/stats.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type Command, parseFlags, renamedFlag, requireString } from './command.js';

const usage = `gluegen stats — per-token mean L2 norm of generator features (GlueNet's cond_norm)

usage: gluegen stats --cond C.safetensors [--out norm.json]

C (--cond, formerly --features; as in train and eval) holds the generator encoder's features.

Prints the JSON array (one number per token); put it in a GlueNet config as "cond_norm" when your
generator is not SD 1.x with CLIP-L (for which the "clip-l-sd1" preset holds the release's values).`;

export const statsCommand: Command = {
  name: 'stats',
  summary: "compute cond_norm (per-token feature norms) of a generator's features",
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, { cond: { type: 'string' }, features: { type: 'string' }, out: { type: 'string' } }, 'stats');
    renamedFlag(values, 'cond', 'features', 'stats');
    const src = await FeatureSource.open(requireString(values, 'cond', 'stats'));
    const norm = await perTokenNorm(src);
    await src.close();
    const json = JSON.stringify(norm);
    if (typeof values.out === 'string') {
      await writeFileAtomic(values.out, `${json}\n`);
      console.log(`cond_norm of ${src.rows} rows x ${src.tokens} tokens written to ${values.out}`);
    } else {
      console.log(json);
    }
  },
};
