import { runDemo } from '../world/demo/demo.js';
import { type Command, numberFlag, parseFlags } from './command.js';

const usage = `gluegen demo — the mission end to end on the bundled world

usage: gluegen demo [--out out/demo] [--train] [--seed 0] [--steps 25] [--guidance 3]

Generates images with the frozen world generator from prompts in seven languages (en zh fr es it ja de)
and from synthesized sounds, through GlueNets trained on parallel pairs only, plus a sound + text mix;
reads every image back with the world evaluator; writes out/demo/index.html, grid.png and results.md.
Uses the GlueNets shipped in assets/world (or trains them when missing, or with --train).`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the bundled-world demo (multilingual and sound prompts -> images)',
  usage,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      { out: { type: 'string' }, train: { type: 'boolean' }, seed: { type: 'string' }, steps: { type: 'string' }, guidance: { type: 'string' } },
      'demo',
    );
    const out = (values.out as string | undefined) ?? 'out/demo';
    const { table, files } = await runDemo({
      out,
      train: Boolean(values.train),
      seed: numberFlag(values, 'seed', 'demo', { integer: true, min: 0, default: 0 })!,
      steps: numberFlag(values, 'steps', 'demo', { integer: true, min: 1, max: 1000, default: 25 })!,
      guidance: numberFlag(values, 'guidance', 'demo', { min: 0, max: 50, default: 3 })!,
      log: (l) => console.log(l),
      progress: process.stderr,
    });
    console.log('');
    console.log(table);
    console.log('');
    console.log(`open ${files[0]} (grid: ${files[1]}, table: ${files[2]})`);
  },
};
