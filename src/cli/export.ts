import { loadGlueNet } from '../gluenet/checkpoint.js';
import { ALIGN_INPUT, ALIGN_OUTPUT, alignerOnnx } from '../gluenet/inference.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type Command, parseFlags, requireString } from './command.js';

const usage = `gluegen export — the aligner alone as a standalone ONNX model

usage: gluegen export --gluenet DIR --out aligner.onnx

Input '${ALIGN_INPUT}' [batch, tokens_in, dim_in] (raw new-encoder output) -> output '${ALIGN_OUTPUT}'
[batch, tokens_out, dim_out] in the generator's units (x_scale and cond_norm/2 are inside), so any
ONNX Stable Diffusion pipeline can feed it to its UNet as encoder_hidden_states.`;

export const exportCommand: Command = {
  name: 'export',
  summary: 'export the GlueNet aligner as a standalone ONNX model',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, { gluenet: { type: 'string' }, out: { type: 'string' } }, 'export');
    const g = await loadGlueNet(requireString(values, 'gluenet', 'export'));
    const out = requireString(values, 'out', 'export');
    const bytes = alignerOnnx(g.config, g.weights);
    await writeFileAtomic(out, bytes);
    console.log(
      `aligner exported to ${out} (${(bytes.length / 1e6).toFixed(1)} MB): ${ALIGN_INPUT} [batch, ${g.config.tokens_in}, ${g.config.dim_in}] -> ${ALIGN_OUTPUT} [batch, ${g.config.tokens_out}, ${g.config.dim_out}]`,
    );
  },
};
