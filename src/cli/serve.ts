/**
 * `gluegen serve`: loads the models once and serves the HTTP API and the web page (src/server/).
 */
import { type EncoderSpec, loadServerModels, parseNamedDir } from '../server/models.js';
import { createGlueServer, isLoopback } from '../server/server.js';
import { type Command, numberFlag, parseFlags, UsageError } from './command.js';

const NAME = 'serve';

const USAGE = `usage: gluegen serve [--port 7860] [--host 127.0.0.1] [--generator world|DIR] [--text-encoder DIR]
                     [--encoder NAME=DIR [--gluenet NAME=DIR]]... [--workers 1] [--max-queue 8]
                     [--timeout 300] [--max-steps 100] [--device cpu|cuda] [--threads N]

Serves an HTTP API and a web page for X-to-image: a prompt in any language the encoders know, a
sound (WAV), both mixed, or a point cloud (PLY). Models load once at start; requests name
encoders, never paths.

Models
  --generator G       'world' (default): the bundled world generator with its native text encoder
                      ('native'), and its multilingual ('multilingual'), sound ('sound') and
                      point-cloud ('pointcloud') encoders with their GlueNets, where shipped; or a
                      Stable Diffusion ONNX folder, whose text_encoder/ is 'native'
  --text-encoder DIR  SD only: the generator's own text encoder when the folder has none
  --encoder NAME=DIR  an extra encoder requests can name (a text or audio ONNX export, or a world
                      encoder folder); repeat for several. Replaces the world's multilingual/sound/
                      pointcloud encoders.
  --gluenet NAME=DIR  the GlueNet of encoder NAME (needed unless the encoder already speaks the
                      generator's condition space)
  --device D          cpu (default) or cuda (SD folders and ONNX encoders)
  --threads N         onnxruntime threads per model (world models)

Serving
  --host H            address to listen on (default 127.0.0.1: this machine only; any other address
                      lets other machines use the server: there is no authentication)
  --port P            port (default 7860; 0 picks a free one)
  --workers N         generations run at the same time (default 1; CPU-bound)
  --max-queue N       requests that may wait; more get 429 with Retry-After (default 8)
  --timeout S         seconds a request may wait + run before it fails with 503 (default 300)
  --max-steps N       largest steps a request may ask for (default 100)

API
  POST /v1/generate   JSON {prompt, encoder, language, seed, steps, guidance, scheduler, size,
                      n_images, format: png|json, stream} or multipart/form-data with a WAV in
                      "audio" (+ prompt, mix avg|splice, mix_weight, mix_split) or a PLY point cloud
                      in "points" (ascii or binary little-endian, no prompt); answers a PNG, JSON
                      with base64 images and metadata, or Server-Sent Events (Accept: text/event-stream)
  GET  /v1/models     what is loaded        GET /healthz   status, queue, memory
  GET  /              the web page
  GET  /web/          the in-browser page: every model runs in the browser (after npm run build:web)

Examples
  gluegen serve
  gluegen serve --generator sd15-onnx --encoder xlmr=xlmr-onnx --gluenet xlmr=gluenet-xlmr \\
                --encoder clap=clap-onnx --gluenet clap=gluenet-sound --port 8080`;

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  generator: { type: 'string' },
  'text-encoder': { type: 'string' },
  encoder: { type: 'string', multiple: true },
  gluenet: { type: 'string', multiple: true },
  workers: { type: 'string' },
  'max-queue': { type: 'string' },
  timeout: { type: 'string' },
  'max-steps': { type: 'string' },
  device: { type: 'string' },
  threads: { type: 'string' },
} as const;

export interface ServeArgs {
  port: number;
  host: string;
  generator: string;
  textEncoder: string | null;
  encoders: EncoderSpec[];
  workers: number;
  maxQueue: number;
  timeoutSeconds: number;
  maxSteps: number;
  device: 'cpu' | 'cuda';
  threads: number | null;
}

export function parseServeArgs(argv: string[]): ServeArgs {
  const { values, positionals } = parseFlags(argv, FLAGS, NAME);
  if (positionals.length) throw new UsageError(`${NAME}: unexpected argument '${positionals[0]}'; flags only (see \`gluegen ${NAME} --help\`)`);
  const named = (flag: 'encoder' | 'gluenet'): { name: string; dir: string }[] =>
    ((values[flag] as string[] | undefined) ?? []).map((v) => {
      try {
        return parseNamedDir(v, flag);
      } catch (e) {
        throw new UsageError(`${NAME}: ${(e as Error).message}`);
      }
    });
  const encoders: EncoderSpec[] = named('encoder');
  for (const g of named('gluenet')) {
    // A bare --gluenet DIR belongs to the only encoder, when there is exactly one.
    const target =
      encoders.find((e) => e.name === g.name) ??
      (encoders.length === 1 && !(values.gluenet as string[]).some((v) => v.includes('=')) ? encoders[0] : undefined);
    if (!target)
      throw new UsageError(
        `${NAME}: --gluenet '${g.name}' names no --encoder (encoders: ${encoders.map((e) => e.name).join(', ') || 'none'}); write --gluenet NAME=DIR with an encoder's NAME`,
      );
    if (target.gluenet) throw new UsageError(`${NAME}: encoder '${target.name}' has two --gluenet folders; give one`);
    target.gluenet = g.dir;
  }
  const device = typeof values.device === 'string' ? values.device : 'cpu';
  if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`${NAME}: --device must be cpu or cuda, got '${device}'`);
  const host = typeof values.host === 'string' && values.host !== '' ? values.host : '127.0.0.1';
  return {
    port: numberFlag(values, 'port', NAME, { integer: true, min: 0, max: 65535, default: 7860 })!,
    host,
    generator: typeof values.generator === 'string' && values.generator !== '' ? values.generator : 'world',
    textEncoder: typeof values['text-encoder'] === 'string' ? values['text-encoder'] : null,
    encoders,
    workers: numberFlag(values, 'workers', NAME, { integer: true, min: 1, max: 64, default: 1 })!,
    maxQueue: numberFlag(values, 'max-queue', NAME, { integer: true, min: 0, max: 10_000, default: 8 })!,
    timeoutSeconds: numberFlag(values, 'timeout', NAME, { min: 1, max: 86_400, default: 300 })!,
    maxSteps: numberFlag(values, 'max-steps', NAME, { integer: true, min: 1, max: 1000, default: 100 })!,
    device,
    threads: numberFlag(values, 'threads', NAME, { integer: true, min: 1, max: 256 }) ?? null,
  };
}

export const serveCommand: Command = {
  name: NAME,
  summary: 'serve an HTTP API and a web page for prompt / sound / point cloud -> image',
  usage: USAGE,
  async run(argv: string[]): Promise<void> {
    const args = parseServeArgs(argv);
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    if (args.textEncoder !== null && args.generator === 'world')
      throw new UsageError(`${NAME}: --text-encoder is for Stable Diffusion folders (--generator DIR); the world has its own`);
    log(`loading models (${args.generator === 'world' ? 'the bundled world' : args.generator})...`);
    let models: Awaited<ReturnType<typeof loadServerModels>>;
    try {
      models = await loadServerModels({
        generator: args.generator,
        encoders: args.encoders,
        ...(args.textEncoder !== null ? { textEncoder: args.textEncoder } : {}),
        device: args.device,
        ...(args.threads !== null ? { threads: args.threads } : {}),
      });
    } catch (e) {
      throw new UsageError((e as Error).message.startsWith('serve:') ? (e as Error).message : `${NAME}: ${(e as Error).message}`);
    }
    for (const note of models.notes) log(`note: ${note}`);
    const app = createGlueServer(models, {
      queue: { workers: args.workers, maxQueued: args.maxQueue, timeoutMs: args.timeoutSeconds * 1000 },
      limits: { maxSteps: args.maxSteps },
      log,
    });
    let address: Awaited<ReturnType<typeof app.listen>>;
    try {
      address = await app.listen(args.port, args.host);
    } catch (e) {
      await models.release();
      throw new UsageError(
        `${NAME}: cannot listen on ${args.host}:${args.port}: ${(e as Error).message}${(e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? '; pick another --port' : ''}`,
      );
    }
    if (!isLoopback(args.host)) log(`warning: listening on ${args.host}, reachable from other machines; there is no authentication`);
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    log(`encoders: ${models.encoders.map((e) => `${e.name} (${e.modality}${e.gluenet ? ' + GlueNet' : ''})`).join(', ')}; generator: ${models.generatorName}`);
    process.stdout.write(`gluegen serving on http://${shown}:${address.port}/\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        log('shutting down...');
        // Closing the connections cancels their jobs; wait (up to 10 s) for running ones to stop
        // at their next step before the models' sessions are released under them.
        const idle = async (): Promise<void> => {
          for (let i = 0; i < 200 && app.queue.stats().running > 0; i++) await new Promise((r) => setTimeout(r, 50));
        };
        void app
          .close()
          .then(idle)
          .then(() => models.release())
          .then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  },
};
