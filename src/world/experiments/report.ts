/**
 * Results of the world GlueGen experiments as a person reads them: a Markdown table, a JSON file,
 * and a PNG grid of samples per row.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { imageGrid } from '../../io/grid.js';
import { linePlot } from '../../io/plot.js';
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

interface NamedMean {
  name: string;
  mean: number;
}

/**
 * Accuracy against training pairs for GlueNet, the linear map and the learned translator, from the
 * multilingual rows ("<method>, N pairs", and the full-set rows), with native English and the
 * dictionary oracle as flat references; x is log10(pairs). Null when there are no data-efficiency rows.
 */
export function dataEfficiencyPlot(rows: NamedMean[], chosen: string): Uint8Array | null {
  const fullRow = rows.find((r) => /^learned translator \(\d+ pairs\)/.exec(r.name));
  if (!fullRow) return null;
  const fullPairs = Number(/\((\d+) pairs\)/.exec(fullRow.name)![1]);
  const glueNetFull = chosen === 'with denoiser distillation' ? 'GlueNet + denoiser distillation' : 'GlueNet, parallel pairs only';
  const at = (prefix: string, full: string | undefined): { xs: number[]; ys: number[] } => {
    const pts = rows
      .map((r) => ({ m: new RegExp(`^${prefix}, (\\d+) pairs$`).exec(r.name), r }))
      .filter((p) => p.m)
      .map((p) => [Number(p.m![1]), p.r.mean] as [number, number]);
    const f = rows.find((r) => r.name === full);
    if (f) pts.push([fullPairs, f.mean]);
    pts.sort((a, b) => a[0] - b[0]);
    return { xs: pts.map((p) => Math.log10(p[0])), ys: pts.map((p) => 100 * p[1]) };
  };
  const glue = at('GlueNet', glueNetFull);
  if (glue.xs.length < 2) return null;
  const flat = (name: string, row: string | undefined): { name: string; xs: number[]; ys: number[] }[] => {
    const r = rows.find((x) => x.name === row);
    return r ? [{ name, xs: [glue.xs[0]!, glue.xs.at(-1)!], ys: [100 * r.mean, 100 * r.mean] }] : [];
  };
  return linePlot({
    title: 'Multilingual: mean accuracy of the named attributes vs training pairs',
    xLabel: 'training pairs (log10)',
    yLabel: '% of named attributes shown',
    series: [
      { name: 'GlueNet', ...glue },
      { name: 'linear map', ...at('linear map', 'linear least-squares map') },
      { name: 'learned translator', ...at('learned translator', fullRow.name) },
      ...flat('native English (upper bound)', 'native English prompts (upper bound)'),
      ...flat('dictionary translation (oracle)', 'dictionary translation -> native (oracle)'),
    ],
  });
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
  const multi = results.sections[0];
  const chosen = (results.choices?.multilingual as { chosen?: string } | undefined)?.chosen ?? '';
  const plot = multi ? dataEfficiencyPlot(multi.rows, chosen) : null;
  if (plot) {
    await writeFileAtomic(join(outDir, 'data-efficiency.png'), plot);
    written.push(join(outDir, 'data-efficiency.png'));
  }
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
