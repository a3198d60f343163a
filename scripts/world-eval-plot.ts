/**
 * Draws DIR/data-efficiency.png from DIR/results.json of `gluegen world eval` (which draws it itself
 * since the plot was added; this re-draws it from a committed results file without rerunning).
 * Usage: node dist/scripts/world-eval-plot.js [DIR]   (default docs/world-eval)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/io/atomic.js';
import { dataEfficiencyPlot } from '../src/world/experiments/report.js';

const dir = process.argv[2] ?? join('docs', 'world-eval');
const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
  choices?: { multilingual?: { chosen?: string } };
  sections: { rows: { name: string; mean: number }[] }[];
};
const png = dataEfficiencyPlot(results.sections[0]?.rows ?? [], results.choices?.multilingual?.chosen ?? '');
if (!png) {
  console.error(`${join(dir, 'results.json')} has no data-efficiency rows to plot`);
  process.exit(1);
}
await writeFileAtomic(join(dir, 'data-efficiency.png'), png);
console.log(`wrote ${join(dir, 'data-efficiency.png')}`);
