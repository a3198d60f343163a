/**
 * Results of the world GlueGen experiments as a person reads them: a Markdown table, a JSON file,
 * and a PNG grid of samples per row.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { imageGrid } from '../../io/grid.js';
import type { AttributeName } from '../data/attributes.js';
import type { ItemOutcome } from './bootstrap.js';
import type { Comparison, ExperimentResults } from './run.js';

const ATTRS: AttributeName[] = ['object', 'colour', 'size', 'position'];
const pct = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)}`);

export function markdownTable(results: Pick<ExperimentResults, 'sections'> & Partial<ExperimentResults>): string {
  const lines: string[] = [];
  for (const s of results.sections) {
    lines.push(
      `### ${s.title}`,
      '',
      '| row | n | object % | colour % | size % | position % | mean % [95% CI] | FD |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const r of s.rows) {
      const ci = r.interval ? ` [${pct(r.interval.low)}, ${pct(r.interval.high)}]` : '';
      lines.push(
        `| ${r.name} | ${r.n} | ${ATTRS.map((a) => pct(r.accuracy[a])).join(' | ')} | ${pct(r.mean)}${ci} | ${r.fd === null ? '—' : r.fd.toFixed(2)} |`,
      );
    }
    for (const n of s.notes) lines.push('', `_${n}_`);
    lines.push('');
  }
  if (results.comparisons?.length) lines.push(comparisonTable(results.comparisons));
  return lines.join('\n');
}

/** Per attribute, one character per input: '1' shown, '0' not shown, '-' not named by that input. */
export function outcomeStrings(items: ItemOutcome[]): Partial<Record<AttributeName, string>> {
  const out: Partial<Record<AttributeName, string>> = {};
  for (const a of ATTRS) {
    if (!items.some((it) => it[a] !== undefined)) continue;
    out[a] = items.map((it) => (it[a] === undefined ? '-' : String(it[a]))).join('');
  }
  return out;
}

/** The paired comparisons: a - b in points with the paired bootstrap 95% interval. */
export function comparisonTable(comparisons: Comparison[]): string {
  const sign = (v: number): string => `${v > 0 ? '+' : ''}${v.toFixed(1)}`;
  const lines = [
    '### Paired comparisons (a - b, points; paired bootstrap 95% interval over the same inputs and seeds)',
    '',
    '| comparison | a | b | n | a - b | 95% CI |',
    '|---|---|---|---:|---:|---|',
  ];
  for (const c of comparisons) lines.push(`| ${c.name} | ${c.a} | ${c.b} | ${c.n} | ${sign(c.diff)} | [${sign(c.ci_low)}, ${sign(c.ci_high)}] |`);
  return `${lines.join('\n')}\n`;
}

export async function writeResults(results: ExperimentResults, outDir: string, samplesPerRow = 8): Promise<string[]> {
  const written: string[] = [];
  const json = {
    seconds: results.seconds,
    comparisons: results.comparisons,
    choices: results.choices,
    // Per-input outcomes stay in: anyone can recompute an interval or a comparison not listed here.
    sections: results.sections.map((s) => ({
      title: s.title,
      notes: s.notes,
      rows: s.rows.map(({ images: _images, items, ...r }) => ({ ...r, outcomes: outcomeStrings(items) })),
    })),
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
