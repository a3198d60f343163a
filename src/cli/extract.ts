/**
 * `gluegen extract`: run an encoder over one column of a corpus and store its token features as
 * safetensors shards + manifest.json (see src/encoders/extract.ts). Rerunning resumes.
 */

import { resolve } from 'node:path';
import { readCorpus } from '../encoders/corpus.js';
import { extractFeatures } from '../encoders/extract.js';
import { encoderModality, loadEncoder } from '../encoders/registry.js';
import type { Device } from '../engine/runtime.js';
import type { FeatureDType } from '../io/feature-shards.js';
import { corpusSpec, extractOnQueue } from '../scale/jobs.js';
import { openQueue } from '../scale/redis.js';
import { resolveModelName } from '../world/assets.js';
import { type Command, helpHeader, numberFlag, parseFlags, renamedFlag, requireString, UsageError } from './command.js';

const NAME = 'extract';

const SUMMARY = 'run an encoder over a corpus column and store token features (safetensors shards)';

const USAGE = `${helpHeader(NAME, SUMMARY)}usage: gluegen extract --encoder DIR --input CORPUS --column COLUMN --out DIR [options]

Runs an ONNX encoder over one column of a corpus and writes its token features to
DIR/features-00000.safetensors, ... (tensor 'features' [n, tokens, dim], plus 'mask' [n, tokens]
for text encoders) and DIR/manifest.json. Rerun the same command to resume an interrupted run:
complete shards are kept.

  --encoder DIR      text encoder folder (model.onnx or onnx/model.onnx + tokenizer.json; an SD
                     text_encoder/ with its sibling tokenizer/) or audio encoder folder
                     (model.onnx + preprocessor_config.json [+ gluegen_audio.json])
  --input CORPUS     .tsv with a header line, .jsonl objects, or .csv (UrbanSound8K layout:
                     slice_file_name, fold, classID, class)
  --column NAME      header name / JSON key to encode; for .tsv, 'new' and 'old' also mean the
                     first and second column. Audio encoders: the column of WAV paths, or 'audio'
                     (default) for the UrbanSound8K layout
  --out DIR          output folder
  --audio-root DIR   folder the WAV paths are relative to (UrbanSound8K: the 'audio' folder holding
                     fold1..fold10; default: ../audio beside the CSV's folder, else the corpus folder)
  --batch-size N     rows per encoder call (default 32)
  --shard-size N     rows per shard file (default 4096)
  --dtype fp16|fp32  stored precision (default fp32)
  --max-rows N       only the first N rows (formerly --limit)
  --max-length N     text encoders: tokens per prompt (default: the tokenizer's model_max_length, else 77)
  --device cpu|cuda  onnxruntime device (default cpu)
  --queue URL        distribute the shards as jobs on a BullMQ queue on Redis
                     (redis://HOST:PORT[/DB]); \`gluegen worker --queue URL\` processes run them,
                     on any machines that see the same --input, --encoder and --out paths. This
                     command shows progress until every shard is written, then writes the manifest;
                     rerun it to resume (finished shards are kept, failed jobs are retried)
  --detach           with --queue: return once the jobs are queued`;

export const extractCommand: Command = {
  name: NAME,
  summary: SUMMARY,
  usage: USAGE,
  async run(argv: string[]): Promise<void> {
    const { values, positionals } = parseFlags(
      argv,
      {
        encoder: { type: 'string' },
        input: { type: 'string' },
        column: { type: 'string' },
        out: { type: 'string' },
        'audio-root': { type: 'string' },
        'batch-size': { type: 'string' },
        'shard-size': { type: 'string' },
        dtype: { type: 'string' },
        'max-rows': { type: 'string' },
        limit: { type: 'string' },
        'max-length': { type: 'string' },
        device: { type: 'string' },
        queue: { type: 'string' },
        detach: { type: 'boolean' },
      },
      NAME,
    );
    renamedFlag(values, 'max-rows', 'limit', NAME);
    if (positionals.length > 0) throw new UsageError(`${NAME}: unexpected argument '${positionals[0]}' (see \`gluegen ${NAME} --help\`)`);
    // A bundled world encoder may be named (world-native, world-multilingual, world-sound).
    const encoderDir = resolveModelName(requireString(values, 'encoder', NAME), 'encoder');
    const input = requireString(values, 'input', NAME);
    const out = requireString(values, 'out', NAME);
    const batchSize = numberFlag(values, 'batch-size', NAME, { integer: true, min: 1, default: 32 })!;
    const shardSize = numberFlag(values, 'shard-size', NAME, { integer: true, min: 1, default: 4096 })!;
    const limit = numberFlag(values, 'max-rows', NAME, { integer: true, min: 1 });
    const maxLength = numberFlag(values, 'max-length', NAME, { integer: true, min: 2 });
    const dtype = (values.dtype ?? 'fp32') as string;
    if (dtype !== 'fp16' && dtype !== 'fp32') throw new UsageError(`${NAME}: --dtype must be fp16 or fp32, got '${dtype}'`);
    const device = (values.device ?? 'cpu') as string;
    if (device !== 'cpu' && device !== 'cuda') throw new UsageError(`${NAME}: --device must be cpu or cuda, got '${device}'`);

    const modality = await encoderModality(encoderDir).catch((e: Error) => {
      throw new UsageError(`${NAME}: --encoder: ${e.message}`);
    });
    const column = typeof values.column === 'string' && values.column !== '' ? values.column : modality === 'audio' ? 'audio' : undefined;
    if (column === undefined) throw new UsageError(`${NAME}: --column is required for a text encoder (e.g. --column new)`);
    if (modality === 'audio' && maxLength !== undefined)
      throw new UsageError(`${NAME}: --max-length applies to text encoders; ${encoderDir} is an audio encoder`);
    const audioRoot = values['audio-root'] as string | undefined;

    const queueUrl = values.queue as string | undefined;
    if (values.detach && queueUrl === undefined) throw new UsageError(`${NAME}: --detach needs --queue (a local extraction cannot run detached)`);
    const corpus = await readCorpus(input, { column, modality, ...(audioRoot ? { audioRoot } : {}), ...(limit !== undefined ? { limit } : {}) });
    const encoder = await loadEncoder(encoderDir, { device: device as Device, ...(maxLength !== undefined ? { maxLength } : {}) });
    let released = false;
    try {
      if (queueUrl !== undefined) {
        const plan = { info: encoder.info, corpus, outDir: out, batchSize, shardSize, dtype: dtype as FeatureDType, encoderSource: encoderDir };
        // The workers encode; this process only needed the feature shape.
        released = true;
        await encoder.release();
        const queue = await openQueue(queueUrl).catch((e: Error) => {
          throw new UsageError(`${NAME}: ${e.message}`);
        });
        try {
          const r = await extractOnQueue({
            queue,
            plan,
            encoder: {
              dir: isWorldEncoder(encoderDir) ? encoderDir : resolve(encoderDir),
              device: device as Device,
              ...(maxLength !== undefined ? { maxLength } : {}),
            },
            corpus: corpusSpec(corpus, { ...(audioRoot ? { audioRoot } : {}), ...(limit !== undefined ? { limit } : {}) }),
            detach: Boolean(values.detach),
          });
          if (r.detached)
            console.log(
              `${NAME}: ${r.queued.length} shard job(s) queued on ${queueUrl} (${r.skipped.length} already complete); rerun without --detach to wait for them and write the manifest`,
            );
          else
            console.log(
              `${NAME}: ${r.manifest.rows} rows x ${r.manifest.tokens} tokens x ${r.manifest.dim} dims (${dtype}) -> ${out} (${r.queued.length} shard(s) by workers, ${r.skipped.length} already complete)`,
            );
        } finally {
          await queue.close();
        }
        return;
      }
      const { manifest, written, skipped } = await extractFeatures({
        encoder,
        corpus,
        outDir: out,
        batchSize,
        shardSize,
        dtype: dtype as FeatureDType,
        encoderSource: encoderDir,
      });
      const resumed = skipped.length > 0 ? ` (${skipped.length} shard(s) already complete, ${written.length} written)` : '';
      console.log(`${NAME}: ${manifest.rows} rows x ${manifest.tokens} tokens x ${manifest.dim} dims (${dtype}) -> ${out}${resumed}`);
    } finally {
      if (!released) await encoder.release();
    }
  },
};

/** World encoders are names, not folders: they are passed to workers unchanged. */
const isWorldEncoder = (dir: string): boolean => /^world-[a-z]+$/.test(dir);
