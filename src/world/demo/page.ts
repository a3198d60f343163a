/**
 * The demo's index.html: every input next to its image, what was asked and what the evaluator reads
 * back. Self-contained (no scripts, no external resources).
 */
import type { AttributeName, Attributes, NamedAttributes } from '../data/attributes.js';

export interface DemoItem {
  group: string;
  input: string;
  route: string;
  /** A WAV file next to the page, for sound inputs. */
  audio?: string;
  /** A PLY file next to the page, for point-cloud inputs. */
  points?: string;
  attrs: Attributes;
  named: Partial<NamedAttributes>;
  asked: string;
  image?: string;
  read?: string;
  correct?: [AttributeName, boolean][];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function demoPage(items: DemoItem[], info: { table: string; seconds: number; glueNets: Record<string, string> }): string {
  const groups = [...new Set(items.map((i) => i.group))];
  const rows = info.table
    .split('\n')
    .slice(2)
    .map(
      (l) =>
        `<tr>${l
          .split('|')
          .slice(1, -1)
          .map((c) => `<td>${esc(c.trim())}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  const cards = groups
    .map((g) => {
      const cells = items
        .filter((i) => i.group === g)
        .map((i) => {
          const marks = (i.correct ?? []).map(([a, ok]) => `<span class="${ok ? 'ok' : 'no'}">${ok ? '✓' : '✗'} ${a}</span>`).join(' ');
          const audio = i.audio ? `<audio controls src="${esc(i.audio)}"></audio>` : i.points ? ` <a href="${esc(i.points)}">${esc(i.points)}</a>` : '';
          return `<figure><img src="${esc(i.image ?? '')}" width="128" height="128" alt="${esc(i.asked)}"><figcaption><b>${esc(i.input)}</b>${audio}<br><small>asked: ${esc(i.asked)}<br>read: ${esc(i.read ?? '')}</small><br>${marks}</figcaption></figure>`;
        })
        .join('\n');
      return `<section><h2>${esc(g)}</h2><p class="route">${esc(items.find((i) => i.group === g)!.route)}</p><div class="row">${cells}</div></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gluegen demo — the bundled world</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
img{image-rendering:pixelated;border:1px solid #ccc}
.row{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0;width:180px}
figcaption{font-size:13px}
.ok{color:#070}.no{color:#b00}.route{color:#666;margin-top:-.5rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}
audio{width:170px;height:28px;margin-top:.3rem}
</style></head><body>
<h1>gluegen on the bundled world</h1>
<p>A frozen text-to-image generator that only understands its own English text encoder draws from prompts in
seven languages, from rich English read by a bigger encoder, from sounds and from 3-D point clouds, through
GlueNets trained on parallel pairs only (no images, no generator retraining). Each image is read back by the world's evaluator: ✓ marks an attribute the prompt named and the
image shows.</p>
<p>${Object.entries(info.glueNets)
    .map(([name, origin]) => `${esc(name)} GlueNet: ${esc(origin)}<br>`)
    .join('')}Total time: ${info.seconds.toFixed(1)} s</p>
<table><tr><th>input</th><th>route</th><th>named attributes read back</th></tr>
${rows}
</table>
${cards}
</body></html>
`;
}
