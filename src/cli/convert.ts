import { readConfigFile, saveGlueNet } from '../gluenet/checkpoint.js';
import { convertCheckpoint } from '../gluenet/convert.js';
import { type Command, parseFlags, requireString } from './command.js';

const usage = `gluegen convert — import a released GlueGen checkpoint into a GlueNet directory

usage: gluegen convert --ckpt FILE.ckpt|FILE.pt|FILE.safetensors --config CONFIG.json --out DIR

The PyTorch file is read with a restricted unpickler: only tensors and (ordered) dicts are rebuilt;
any other Python global or opcode is refused with an error and never executed. Keys may be the
aligner's own ('blocks.0.net_sen.0.weight') or prefixed (aligner./decoder./discriminator.).`;

export const convertCommand: Command = {
  name: 'convert',
  summary: 'import a released GlueGen (PyTorch) checkpoint',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, { ckpt: { type: 'string' }, config: { type: 'string' }, out: { type: 'string' } }, 'convert');
    const cfg = readConfigFile(requireString(values, 'config', 'convert'));
    const ckpt = requireString(values, 'ckpt', 'convert');
    const { weights, unused } = await convertCheckpoint(ckpt, cfg);
    const out = requireString(values, 'out', 'convert');
    await saveGlueNet(out, cfg, weights, { source: ckpt.split(/[\\/]/).pop() ?? '' });
    const parts = ['aligner', 'decoder', 'discriminator'].filter((p) => [...weights.keys()].some((k) => k.startsWith(`${p}.`)));
    console.log(`converted ${weights.size} tensors (${parts.join(', ')}) -> ${out}`);
    if (unused.length) console.log(`  ignored ${unused.length} tensor(s) the config does not use, e.g. ${unused.slice(0, 3).join(', ')}`);
  },
};
