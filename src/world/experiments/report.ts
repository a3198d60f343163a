/**
 * Results of the world GlueGen experiments as a person reads them: a Markdown table, a JSON file,
 * and a PNG grid of samples per row.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { imageGrid } from '../../io/grid.js';
import type { AttributeName } from '../data/attributes.js';
import type { ExperimentResults } from './run.js';

const ATTRS: AttributeName[] = ['object', 'colour', 'size', 'position'];
const pct = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)}`);

export function markdownTable(results: ExperimentResults): string {
  const lines: string[] = [];
  for (const s of results.sections) {
    lines.push(`### ${s.title}`, '', '| row | n | object % | colour % | size % | position % | mean % | FD |', '|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of s.rows) {
      lines.push(`| ${r.name} | ${r.n} | ${ATTRS.map((a) => pct(r.accuracy[a])).join(' | ')} | ${pct(r.mean)} | ${r.fd === null ? '—' : r.fd.toFixed(2)} |`);
    }
    for (const n of s.notes) lines.push('', `_${n}_`);
    lines.push('');
  }
  return lines.join('\n');
}

export async function writeResults(results: ExperimentResults, outDir: string, samplesPerRow = 8): Promise<string[]> {
  const written: string[] = [];
  const json = {
    seconds: results.seconds,
    sections: results.sections.map((s) => ({ title: s.title, notes: s.notes, rows: s.rows.map(({ images: _images, ...r }) => r) })),
  };
  await writeFileAtomic(join(outDir, 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
  await writeFileAtomic(join(outDir, 'results.md'), markdownTable(results));
  written.push(join(outDir, 'results.json'), join(outDir, 'results.md'));
  const cells = results.sections.flatMap((s) =>
    s.rows.flatMap((r) => r.images.slice(0, samplesPerRow).map((pixels, i) => ({ pixels, width: 32, height: 32, caption: i === 0 ? r.name : '' }))),
  );
  if (cells.length) {
    const grid = join(outDir, 'samples.png');
    await writeFileAtomic(grid, imageGrid(cells, { columns: samplesPerRow, scale: 3, captionLines: 2 }));
    written.push(grid);
  }
  return written;
}
