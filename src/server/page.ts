/**
 * The web page of `gluegen serve`: plain HTML, CSS and script served from the server itself (no CDN,
 * no build step). The script reads /v1/models to fill its choices, posts multipart requests to
 * /v1/generate asking for Server-Sent Events, shows progress, and adds each result with its
 * settings to a gallery. Sounds: a file (WAV sent as is; other formats the browser decodes are
 * converted to 16-bit WAV here) or a microphone recording, where the browser allows one. Point
 * clouds: a PLY file, sent as is (the server reads and checks it), when a point-cloud model is served.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gluegen — X to image</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
  <h1>gluegen</h1>
  <p class="sub">Prompt in any language, a sound, or both &rarr; image; or a 3-D point cloud &rarr; image. <span id="model-line"></span></p>
</header>
<main>
<form id="form" autocomplete="off">
  <label for="prompt">Prompt</label>
  <textarea id="prompt" name="prompt" rows="3" placeholder="un grand cercle rouge en haut à gauche"></textarea>
  <label for="negative-prompt">Negative prompt</label>
  <input id="negative-prompt" name="negative_prompt" placeholder="what the image should not show (optional)">
  <div class="row">
    <div><label for="encoder">Encoder</label><select id="encoder" name="encoder"></select></div>
    <div><label for="language">Language</label><select id="language" name="language"></select></div>
  </div>
  <fieldset id="sound-box" hidden>
    <legend>Sound</legend>
    <div class="row">
      <input id="sound-file" type="file" accept="audio/*,.wav" aria-label="Sound file">
      <button type="button" id="record" hidden>&#9679; Record</button>
      <button type="button" id="sound-clear" hidden>Clear</button>
    </div>
    <p id="sound-status" class="note">No sound: the prompt alone is used.</p>
    <audio id="sound-preview" controls hidden></audio>
    <div id="mix-box" hidden>
      <label for="mix">Mix with the prompt</label>
      <select id="mix" name="mix"><option value="avg">Weighted average</option><option value="splice">Token splice (GlueGen)</option></select>
      <label for="mix-slider" id="mix-label">Sound weight</label>
      <input id="mix-slider" type="range" min="0" max="1" step="0.05" value="0.5"><output id="mix-value">0.5</output>
    </div>
  </fieldset>
  <fieldset id="points-box" hidden>
    <legend>Point cloud</legend>
    <div class="row">
      <input id="points-file" type="file" accept=".ply,application/ply,model/ply" aria-label="Point cloud file (PLY)">
      <button type="button" id="points-clear" hidden>Clear</button>
    </div>
    <p id="points-status" class="note">No point cloud. A PLY file (ascii or binary little-endian; x y z, optional red green blue) is drawn as its object.</p>
  </fieldset>
  <div class="row">
    <div id="seed-box"><label for="seed">Seed</label><span class="pair"><input id="seed" name="seed" type="number" min="0" placeholder="random"><button type="button" id="seed-random" title="Pick a random seed">Random</button></span></div>
    <div><label for="steps">Steps</label><input id="steps" name="steps" type="number" min="1"></div>
    <div><label for="guidance">Guidance</label><input id="guidance" name="guidance" type="number" min="0" step="0.5"></div>
  </div>
  <div class="row">
    <div><label for="scheduler">Scheduler</label><select id="scheduler" name="scheduler"></select></div>
    <div><label for="n-images">Images</label><input id="n-images" name="n_images" type="number" min="1" value="1"></div>
    <div id="size-box" hidden><label for="size">Size</label><input id="size" name="size" placeholder="512x512"></div>
  </div>
  <div class="row actions">
    <button type="submit" id="generate">Generate</button>
    <button type="button" id="cancel" disabled>Cancel</button>
  </div>
  <progress id="progress" max="1" value="0" hidden></progress>
  <p id="status" class="note" role="status" aria-live="polite"></p>
</form>
<section aria-label="Results">
  <div id="gallery"><p id="empty" class="note">Results appear here, newest first, with their settings.</p></div>
</section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `*{box-sizing:border-box}
body{margin:0;font:15px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1f23;background:#f5f6f8}
header{padding:14px 24px;background:#1d1f23;color:#fff}
h1{margin:0;font-size:22px;letter-spacing:.5px}
.sub{margin:2px 0 0;color:#c9ccd3;font-size:14px}
main{display:grid;grid-template-columns:minmax(300px,420px) 1fr;gap:24px;padding:20px 24px;align-items:start}
@media (max-width:800px){main{grid-template-columns:1fr}}
form{background:#fff;border:1px solid #dde0e6;border-radius:8px;padding:16px;display:flex;flex-direction:column;gap:10px}
label,legend{display:block;font-weight:600;font-size:13px;margin-bottom:3px}
textarea,input,select{width:100%;font:inherit;padding:6px 8px;border:1px solid #c4c8d0;border-radius:5px;background:#fff}
textarea{resize:vertical}
fieldset{border:1px solid #dde0e6;border-radius:6px;padding:8px 10px;margin:0}
.row{display:flex;gap:10px;align-items:flex-end;flex-wrap:wrap}
.row>div{flex:1;min-width:90px}
.row>.grow{flex:2}
.pair{display:flex;gap:4px}
.pair button{padding:4px 8px}
input[type=range]{padding:0;width:calc(100% - 44px);vertical-align:middle}
output{display:inline-block;width:40px;text-align:right;font-variant-numeric:tabular-nums}
button{font:inherit;padding:7px 14px;border-radius:5px;border:1px solid #c4c8d0;background:#fff;cursor:pointer}
button:disabled{opacity:.5;cursor:default}
#generate{background:#2458d6;border-color:#2458d6;color:#fff;font-weight:600;flex:1}
#record.on{background:#c62828;color:#fff;border-color:#c62828}
progress{width:100%;height:10px}
.note{margin:0;color:#5b6170;font-size:13px}
.error{color:#b3261e}
audio{width:100%;height:32px}
#mix-box{margin-top:8px}
#mix-box label{margin-top:6px}
.pair input{min-width:0}
#seed-box{flex:1.7}
#sound-box .row input[type=file],#points-box .row input[type=file]{flex:1;width:auto;min-width:0}
#gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:14px}
.card{background:#fff;border:1px solid #dde0e6;border-radius:8px;overflow:hidden}
.card .imgs{display:grid;grid-template-columns:repeat(auto-fit,minmax(100px,1fr));background:#eceef2}
.card img{width:100%;height:auto;display:block;image-rendering:pixelated}
.card dl{margin:0;padding:8px 10px;display:grid;grid-template-columns:auto 1fr;gap:1px 8px;font-size:12px}
.card dt{color:#5b6170}
.card dd{margin:0;overflow-wrap:anywhere}
.card .tools{display:flex;gap:6px;padding:0 10px 10px}
.card .tools button,.card .tools a{font-size:12px;padding:3px 8px}
`;

export const PAGE_JS = `'use strict';
const $ = (id) => document.getElementById(id);
const LANGUAGE_NAMES = { en: 'English', fr: 'Français', de: 'Deutsch', es: 'Español', it: 'Italiano', ja: '日本語', zh: '中文' };
let models = null;
let sound = null; // { blob, name, seconds }
let cloud = null; // { blob, name }: a PLY file
let running = null; // AbortController of the generation in flight
let recorder = null;

function option(select, value, text) { const o = document.createElement('option'); o.value = value; o.textContent = text; select.append(o); }
function setStatus(text, isError) { const s = $('status'); s.textContent = text; s.classList.toggle('error', Boolean(isError)); }

async function init() {
  try {
    const res = await fetch('/v1/models');
    models = await res.json();
  } catch (e) {
    setStatus('Cannot reach the server: ' + e.message, true);
    return;
  }
  const g = models.generator;
  $('model-line').textContent = 'Generator: ' + g.name + ' (' + g.default_size.width + 'x' + g.default_size.height + ').';
  const text = models.encoders.filter((e) => e.modality === 'text');
  const audio = models.encoders.filter((e) => e.modality === 'audio');
  option($('encoder'), 'auto', 'Auto');
  for (const e of text) option($('encoder'), e.name, e.name + (e.languages ? ' (' + e.languages.join(', ') + ')' : ''));
  option($('language'), '', 'Detect / any');
  const languages = [...new Set(text.flatMap((e) => e.languages || []))];
  for (const l of languages) option($('language'), l, (LANGUAGE_NAMES[l] || l) + ' (' + l + ')');
  $('language').disabled = languages.length === 0;
  for (const s of models.schedulers) option($('scheduler'), s, s);
  $('scheduler').value = models.defaults.scheduler;
  $('steps').value = models.defaults.steps;
  $('steps').max = models.limits.maxSteps;
  $('guidance').value = models.defaults.guidance;
  $('guidance').max = models.limits.maxGuidance;
  $('n-images').max = models.limits.maxImages;
  $('size-box').hidden = g.fixed_size;
  $('size').placeholder = g.default_size.width + 'x' + g.default_size.height;
  $('sound-box').hidden = audio.length === 0;
  $('points-box').hidden = !models.encoders.some((e) => e.modality === 'pointcloud');
  $('mix-box').hidden = !models.mixing;
  $('record').hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
  mixChanged();
}

function mixChanged() {
  const slider = $('mix-slider');
  if ($('mix').value === 'avg') {
    $('mix-label').textContent = 'Sound weight (0 = prompt only, 1 = sound only)';
    slider.min = 0; slider.max = 1; slider.step = 0.05; slider.value = 0.5;
  } else {
    const half = Math.max(1, Math.floor(models.generator.condition.tokens / 2));
    $('mix-label').textContent = 'Splice: salient tokens kept from each';
    slider.min = 1; slider.max = half; slider.step = 1; slider.value = Math.min(5, half);
  }
  $('mix-value').textContent = slider.value;
}

/** Any audio the browser can decode -> mono 16-bit PCM WAV bytes. */
async function toWav(blob) {
  const ctx = new (window.AudioContext || window.webkitAudioContext)();
  try {
    const buf = await ctx.decodeAudioData(await blob.arrayBuffer());
    const n = buf.length, mono = new Float32Array(n);
    for (let c = 0; c < buf.numberOfChannels; c++) { const d = buf.getChannelData(c); for (let i = 0; i < n; i++) mono[i] += d[i] / buf.numberOfChannels; }
    const out = new DataView(new ArrayBuffer(44 + 2 * n));
    const tag = (at, s) => { for (let i = 0; i < 4; i++) out.setUint8(at + i, s.charCodeAt(i)); };
    tag(0, 'RIFF'); out.setUint32(4, 36 + 2 * n, true); tag(8, 'WAVE'); tag(12, 'fmt ');
    out.setUint32(16, 16, true); out.setUint16(20, 1, true); out.setUint16(22, 1, true);
    out.setUint32(24, buf.sampleRate, true); out.setUint32(28, 2 * buf.sampleRate, true);
    out.setUint16(32, 2, true); out.setUint16(34, 16, true); tag(36, 'data'); out.setUint32(40, 2 * n, true);
    for (let i = 0; i < n; i++) out.setInt16(44 + 2 * i, Math.max(-1, Math.min(1, mono[i])) * 32767, true);
    return { blob: new Blob([out.buffer], { type: 'audio/wav' }), seconds: n / buf.sampleRate };
  } finally {
    ctx.close();
  }
}

async function isWav(blob) {
  const head = new Uint8Array(await blob.slice(0, 12).arrayBuffer());
  return String.fromCharCode(...head.slice(0, 4)) === 'RIFF' && String.fromCharCode(...head.slice(8, 12)) === 'WAVE';
}

function setSound(blob, name, seconds) {
  sound = blob ? { blob, name, seconds } : null;
  if (sound && cloud) setCloud(null); // one upload at a time: a sound or a point cloud
  $('sound-clear').hidden = !sound;
  const preview = $('sound-preview');
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.hidden = !sound;
  if (sound) preview.src = URL.createObjectURL(blob); else preview.removeAttribute('src');
  $('sound-status').textContent = sound ? name + (seconds ? ' (' + seconds.toFixed(1) + ' s)' : '') + ' — with a prompt, the two are mixed.' : 'No sound: the prompt alone is used.';
}

function setCloud(blob, name) {
  cloud = blob ? { blob, name } : null;
  if (cloud && sound) { $('sound-file').value = ''; setSound(null); }
  if (!cloud) $('points-file').value = '';
  $('points-clear').hidden = !cloud;
  // A point cloud is drawn alone: the prompt is not sent with it.
  $('prompt').disabled = Boolean(cloud);
  $('points-status').textContent = cloud
    ? name + ' (' + Math.max(1, Math.round(blob.size / 1024)) + ' KB) — drawn alone; the prompt is not used.'
    : 'No point cloud. A PLY file (ascii or binary little-endian; x y z, optional red green blue) is drawn as its object.';
}

/** Checks what the page can (the PLY signature and the upload limit); the server reads the rest. */
async function pointsChosen() {
  const file = $('points-file').files[0];
  if (!file) return setCloud(null);
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  if (String.fromCharCode(...head.slice(0, 3)) !== 'ply') {
    setCloud(null);
    return setStatus(file.name + ' is not a PLY file (it does not start with "ply"); choose a .ply point cloud.', true);
  }
  if (file.size > models.limits.maxUploadBytes) {
    setCloud(null);
    return setStatus(file.name + ' is ' + Math.round(file.size / 1048576) + ' MB; this server takes at most ' + Math.floor(models.limits.maxUploadBytes / 1048576) + ' MB — subsample the cloud.', true);
  }
  setStatus('');
  setCloud(file, file.name);
}

async function fileChosen() {
  const file = $('sound-file').files[0];
  if (!file) return setSound(null);
  try {
    if (await isWav(file)) return setSound(file, file.name, 0);
    const wav = await toWav(file);
    setSound(wav.blob, file.name.replace(/\\.[^.]*$/, '') + '.wav', wav.seconds);
  } catch (e) {
    setSound(null);
    setStatus('Cannot read ' + file.name + ' as audio (' + e.message + '); choose a WAV file.', true);
  }
}

async function toggleRecord() {
  if (recorder) { recorder.stop(); return; }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    setStatus('Microphone not available: ' + e.message, true);
    return;
  }
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (ev) => chunks.push(ev.data);
  recorder.onstop = async () => {
    stream.getTracks().forEach((t) => t.stop());
    recorder = null;
    $('record').classList.remove('on');
    $('record').textContent = '● Record';
    try {
      const wav = await toWav(new Blob(chunks, { type: chunks[0] ? chunks[0].type : 'audio/webm' }));
      setSound(wav.blob, 'recording.wav', wav.seconds);
    } catch (e) {
      setStatus('Cannot decode the recording: ' + e.message, true);
    }
  };
  recorder.start();
  $('record').classList.add('on');
  $('record').textContent = '■ Stop';
  const limit = models.limits.maxAudioSeconds * 1000;
  setTimeout(() => { if (recorder && recorder.state === 'recording') recorder.stop(); }, limit);
}

/** Reads Server-Sent Events from a fetch response body. */
async function readEvents(res, onEvent) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\\n\\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message', data = '';
      for (const line of block.split('\\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) onEvent(event, JSON.parse(data));
    }
  }
}

function requestBody() {
  const fd = new FormData();
  const put = (k, v) => { if (v !== '' && v !== null && v !== undefined) fd.set(k, String(v)); };
  put('prompt', $('prompt').value.trim());
  put('negative_prompt', $('negative-prompt').value.trim());
  put('encoder', $('encoder').value);
  put('language', $('language').value);
  put('seed', $('seed').value);
  put('steps', $('steps').value);
  put('guidance', $('guidance').value);
  put('scheduler', $('scheduler').value);
  put('n_images', $('n-images').value);
  if (!models.generator.fixed_size) put('size', $('size').value.trim());
  if (cloud) {
    fd.set('points', cloud.blob, cloud.name);
    fd.delete('prompt');
    if (!models.native_text_encoder) fd.delete('negative_prompt'); // it needs the generator's own text encoder
    fd.delete('encoder'); // the server picks its point-cloud encoder
    fd.delete('language');
  }
  if (sound) {
    fd.set('audio', sound.blob, sound.name);
    if ($('prompt').value.trim() && models.mixing) {
      put('mix', $('mix').value);
      put($('mix').value === 'avg' ? 'mix_weight' : 'mix_split', $('mix-slider').value);
    }
    if (!models.mixing) fd.delete('negative_prompt'); // with a sound it needs the generator's own text encoder
    fd.delete('encoder'); // the server picks its sound encoder
    fd.delete('language');
  }
  return fd;
}

async function generate(ev) {
  ev.preventDefault();
  if (running || !models) return;
  if (!$('prompt').value.trim() && !sound && !cloud) { setStatus('Type a prompt, or add a sound or a point cloud.', true); $('prompt').focus(); return; }
  running = new AbortController();
  $('generate').disabled = true;
  $('cancel').disabled = false;
  const bar = $('progress');
  bar.hidden = false; bar.value = 0; bar.max = 1;
  setStatus('Sending…');
  try {
    const res = await fetch('/v1/generate', { method: 'POST', body: requestBody(), headers: { Accept: 'text/event-stream' }, signal: running.signal });
    if (!res.ok) {
      let message = res.status + ' ' + res.statusText;
      try { message = (await res.json()).error.message; } catch (e) { /* not JSON */ }
      const retry = res.headers.get('Retry-After');
      setStatus(message + (retry ? ' (retry in ' + retry + ' s)' : ''), true);
      return;
    }
    await readEvents(res, (event, data) => {
      if (event === 'queued') setStatus('Waiting in line: position ' + data.position + '…');
      else if (event === 'started') setStatus('Encoding…');
      else if (event === 'progress') { bar.max = data.total; bar.value = data.step; setStatus('Denoising: step ' + data.step + ' of ' + data.total); }
      else if (event === 'result') { addResult(data.images, data.metadata); setStatus('Done in ' + data.metadata.seconds.toFixed(1) + ' s (seed ' + data.metadata.seed + ').'); }
      else if (event === 'error') setStatus(data.error.message, true);
    });
  } catch (e) {
    setStatus(e.name === 'AbortError' ? 'Cancelled.' : 'Request failed: ' + e.message, e.name !== 'AbortError');
  } finally {
    running = null;
    bar.hidden = true;
    $('generate').disabled = false;
    $('cancel').disabled = true;
  }
}

function addResult(images, meta) {
  $('empty')?.remove();
  const card = document.createElement('article');
  card.className = 'card';
  const imgs = document.createElement('div');
  imgs.className = 'imgs';
  const urls = images.map((b64) => 'data:image/png;base64,' + b64);
  for (const url of urls) {
    const img = document.createElement('img');
    img.src = url;
    img.alt = meta.prompt || (meta.points ? 'generated from a point cloud' : 'generated from a sound');
    img.title = meta.width + 'x' + meta.height;
    imgs.append(img);
  }
  const dl = document.createElement('dl');
  const rows = [
    ['prompt', meta.prompt || '—'], ['negative prompt', meta.negative_prompt || '—'], ['encoder', meta.encoder + (meta.gluenet ? ' + GlueNet' : '')], ['language', meta.language || '—'],
    ['sound', meta.audio ? meta.audio.seconds.toFixed(1) + ' s' : '—'], ['point cloud', meta.points ? meta.points.count + ' points' + (meta.points.colours ? ', coloured' : '') : '—'], ['mix', meta.mix || '—'], ['seed', meta.seed],
    ['steps', meta.steps], ['guidance', meta.guidance], ['scheduler', meta.scheduler], ['size', meta.width + 'x' + meta.height], ['time', meta.seconds.toFixed(1) + ' s'],
  ];
  for (const [k, v] of rows) { const dt = document.createElement('dt'); dt.textContent = k; const dd = document.createElement('dd'); dd.textContent = String(v); dd.dataset.field = k; dl.append(dt, dd); }
  const tools = document.createElement('div');
  tools.className = 'tools';
  const reuse = document.createElement('button');
  reuse.type = 'button'; reuse.textContent = 'Reuse settings';
  reuse.onclick = () => { $('prompt').value = meta.prompt; $('negative-prompt').value = meta.negative_prompt || ''; $('seed').value = meta.seed; $('steps').value = meta.steps; $('guidance').value = meta.guidance; $('scheduler').value = meta.scheduler; };
  const save = document.createElement('a');
  save.href = urls[0]; save.download = 'gluegen-' + meta.seed + '.png'; save.textContent = 'Download';
  tools.append(reuse, save);
  card.append(imgs, dl, tools);
  $('gallery').prepend(card);
}

document.addEventListener('DOMContentLoaded', () => {
  $('form').addEventListener('submit', generate);
  $('cancel').addEventListener('click', () => running && running.abort());
  $('seed-random').addEventListener('click', () => { $('seed').value = Math.floor(Math.random() * 2147483647); });
  $('mix').addEventListener('change', mixChanged);
  $('mix-slider').addEventListener('input', () => { $('mix-value').textContent = $('mix-slider').value; });
  $('sound-file').addEventListener('change', fileChosen);
  $('sound-clear').addEventListener('click', () => { $('sound-file').value = ''; setSound(null); });
  $('points-file').addEventListener('change', pointsChosen);
  $('points-clear').addEventListener('click', () => setCloud(null));
  $('record').addEventListener('click', toggleRecord);
  $('prompt').addEventListener('keydown', (ev) => { if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) $('form').requestSubmit(); });
  init();
});
`;
