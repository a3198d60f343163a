/**
 * The in-browser X-to-image page (dist/web/index.html): wires the form to WebWorld, whose models
 * are fetched from models/<folder>/ next to the page and run on onnxruntime-web.
 * Element ids kept for automated checks: #prompt, #generate, results as img.result.
 */
import type { AudioClip } from '../../encoders/types.js';
import { RUNTIME_BACKEND } from '../../engine/runtime.js';
import { urlFiles } from '../../io/file-source.js';
import { parseMixSpec } from '../../pipeline/mix.js';
import { type WebResult, type WebStatus, WebWorld } from '../world-app.js';
import { decodeSoundFile, recordMicrophone } from './audio.js';

const LANGUAGE_NAMES: Record<string, string> = { en: 'English', fr: 'French', es: 'Spanish', it: 'Italian', de: 'German', zh: 'Chinese', ja: 'Japanese' };
const RECORD_SECONDS = 3;

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`internal: the page has no #${id}`);
  return el as T;
}

const form = $<HTMLFormElement>('form');
const prompt = $<HTMLInputElement>('prompt');
const generate = $<HTMLButtonElement>('generate');
const soundInput = $<HTMLInputElement>('sound');
const record = $<HTMLButtonElement>('record');
const clearSound = $<HTMLButtonElement>('clear-sound');
const soundInfo = $('sound-info');
const mix = $<HTMLSelectElement>('mix');
const steps = $<HTMLInputElement>('steps');
const guidance = $<HTMLInputElement>('guidance');
const seed = $<HTMLInputElement>('seed');
const progress = $<HTMLProgressElement>('progress');
const status = $('status');
const errorBox = $('error');
const results = $('results');
const languageLine = $('language');

// Bytes of every model file, for one "loading" line across parallel downloads.
const downloads = new Map<string, { loaded: number; total: number | null }>();
let loadingFolders = 0;

function showDownloads(): void {
  let loaded = 0;
  let total = 0;
  for (const d of downloads.values()) {
    loaded += d.loaded;
    total += d.total ?? d.loaded;
  }
  progress.max = Math.max(1, total);
  progress.value = loaded;
  status.textContent = `Loading models: ${(loaded / 2 ** 20).toFixed(1)} of ${(total / 2 ** 20).toFixed(1)} MB`;
}

function onStatus(s: WebStatus): void {
  loadingFolders += s.stage === 'loading' ? 1 : -1;
  if (loadingFolders === 0) status.textContent = 'Models loaded.';
}

const world = new WebWorld(
  (folder) =>
    urlFiles(new URL(`models/${folder}/`, document.baseURI), {
      onProgress: (path, loaded, total) => {
        downloads.set(`${folder}/${path}`, { loaded, total });
        showDownloads();
      },
    }),
  onStatus,
);

let sound: AudioClip | null = null;
let busy = false;

function showError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  errorBox.textContent = message.split('\n')[0]!;
  errorBox.hidden = false;
  status.textContent = 'Failed.';
}

function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

function setSound(clip: AudioClip | null): void {
  sound = clip;
  clearSound.disabled = clip === null;
  soundInfo.textContent = clip ? `${clip.source ?? 'sound'}: ${(clip.samples.length / clip.sampleRate).toFixed(1)} s` : '';
}

function numberField(input: HTMLInputElement, name: string, check: (v: number) => boolean, expected: string): number {
  const v = Number(input.value);
  if (input.value.trim() === '' || !check(v)) throw new Error(`${name} ${JSON.stringify(input.value)} is not valid; expected ${expected}`);
  return v;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function card(r: WebResult): HTMLElement {
  const fig = document.createElement('figure');
  fig.className = 'card';
  const img = document.createElement('img');
  img.className = 'result';
  img.width = r.width;
  img.height = r.height;
  const what = [r.asked.prompt, r.asked.sound].filter(Boolean).join(' + ');
  img.alt = `generated for ${what}`;
  img.src = `data:image/png;base64,${base64(r.png)}`;
  const dl = document.createElement('dl');
  const rows: [string, string | null][] = [
    ['prompt', r.asked.prompt],
    ['language', r.asked.language ? (LANGUAGE_NAMES[r.asked.language] ?? r.asked.language) : null],
    ['sound', r.asked.sound],
    ['mix', r.asked.mix],
    ['seed', String(r.asked.seed)],
    ['steps', String(r.asked.steps)],
    ['guidance', String(r.asked.guidance)],
    ['time', `${(r.generateMs / 1000).toFixed(2)} s${r.loadMs > 50 ? ` (+ ${(r.loadMs / 1000).toFixed(1)} s loading)` : ''}`],
  ];
  for (const [k, v] of rows) {
    if (v === null) continue;
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.dataset.field = k;
    dd.textContent = v;
    dl.append(dt, dd);
  }
  fig.append(img, dl);
  return fig;
}

async function onGenerate(): Promise<void> {
  if (busy) return;
  clearError();
  busy = true;
  generate.disabled = true;
  try {
    const request = {
      prompt: prompt.value,
      ...(sound ? { sound, mix: parseMixSpec(mix.value) } : {}),
      steps: numberField(steps, 'steps', (v) => Number.isInteger(v) && v >= 1 && v <= 100, 'a whole number from 1 to 100'),
      guidance: numberField(guidance, 'guidance', (v) => v >= 0 && v <= 20, 'a number from 0 to 20'),
      seed: numberField(seed, 'seed', (v) => Number.isInteger(v) && v >= 0, 'a whole number >= 0'),
      onStep: (k: number, n: number) => {
        progress.max = n;
        progress.value = k;
        status.textContent = `Drawing: step ${k} of ${n}`;
      },
    };
    status.textContent = 'Preparing…';
    const r = await world.generate(request);
    results.prepend(card(r));
    status.textContent = `Done in ${(r.generateMs / 1000).toFixed(2)} s.`;
  } catch (e) {
    showError(e);
  } finally {
    busy = false;
    generate.disabled = false;
  }
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void onGenerate();
});

prompt.addEventListener('input', () => {
  const text = prompt.value.trim();
  if (text === '') {
    languageLine.textContent = '';
    return;
  }
  world
    .multilingual()
    .then((enc) => {
      const lang = enc.detectLanguage(text);
      languageLine.textContent = lang ? `Language: ${LANGUAGE_NAMES[lang] ?? lang}` : 'No word of this prompt is in the world\u2019s vocabulary yet.';
    })
    .catch(() => undefined);
});

soundInput.addEventListener('change', () => {
  const file = soundInput.files?.[0];
  if (!file) return;
  clearError();
  decodeSoundFile(file)
    .then(setSound)
    .catch((e: unknown) => {
      setSound(null);
      soundInput.value = '';
      showError(e);
    });
});

clearSound.addEventListener('click', () => {
  soundInput.value = '';
  setSound(null);
});

record.addEventListener('click', () => {
  clearError();
  record.disabled = true;
  recordMicrophone(RECORD_SECONDS, (left) => (soundInfo.textContent = `Recording… ${left} s`))
    .then(setSound)
    .catch((e: unknown) => {
      setSound(null);
      showError(e);
    })
    .finally(() => (record.disabled = false));
});

window.addEventListener('unhandledrejection', (ev) => showError(ev.reason));

$('backend').textContent = `Runs on ${RUNTIME_BACKEND}.`;

// Start loading the text models at once: most visits begin with a prompt.
status.textContent = 'Loading models…';
world.prepare({ text: true, sound: false }).then(
  () => {
    status.textContent = 'Ready: type a prompt, choose or record a sound, or both.';
    progress.value = progress.max;
  },
  (e: unknown) => showError(e),
);
