/**
 * Sound for the page, as the sound encoder takes it (mono Float32Array at its own rate): a file
 * decoded by WebAudio, or a few seconds from the microphone through an AudioWorklet.
 */
import type { AudioClip } from '../../encoders/types.js';

/** Files larger than this are refused before decoding (the encoder takes a few seconds anyway). */
const MAX_FILE_BYTES = 32 * 2 ** 20;

function mono(buffer: AudioBuffer): Float32Array {
  const out = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const ch = buffer.getChannelData(c);
    for (let i = 0; i < out.length; i++) out[i]! += ch[i]! / buffer.numberOfChannels;
  }
  return out;
}

/** Decodes an audio file (WAV, MP3, OGG, … whatever the browser decodes) to a mono clip. */
export async function decodeSoundFile(file: File): Promise<AudioClip> {
  if (file.size > MAX_FILE_BYTES)
    throw new Error(
      `sound file '${file.name}' is ${(file.size / 2 ** 20).toFixed(1)} MB; choose one under ${MAX_FILE_BYTES / 2 ** 20} MB (a few seconds is enough)`,
    );
  const ctx = new AudioContext();
  try {
    const buffer = await ctx.decodeAudioData(await file.arrayBuffer());
    if (buffer.length === 0) throw new Error(`sound file '${file.name}' holds no samples`);
    return { samples: mono(buffer), sampleRate: buffer.sampleRate, source: file.name };
  } catch (e) {
    throw new Error(`could not read '${file.name}' as sound (${(e as Error).message || 'the browser cannot decode it'}); use a WAV, MP3 or OGG file`);
  } finally {
    void ctx.close();
  }
}

/** Records `seconds` of the microphone (asks for permission) as a mono clip. */
export async function recordMicrophone(seconds: number, onTick: (left: number) => void): Promise<AudioClip> {
  if (!navigator.mediaDevices?.getUserMedia)
    throw new Error('this browser gives the page no microphone (it needs https or localhost); choose a sound file instead');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false } });
  } catch (e) {
    throw new Error(`no microphone: ${(e as Error).message || 'permission refused'}; allow it for this page, or choose a sound file`);
  }
  const ctx = new AudioContext();
  try {
    await ctx.audioWorklet.addModule(new URL('recorder-worklet.js', document.baseURI).href);
    const source = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, 'gluegen-recorder');
    const blocks: Float32Array[] = [];
    node.port.onmessage = (m: MessageEvent<Float32Array>) => blocks.push(m.data);
    source.connect(node);
    for (let left = seconds; left > 0; left--) {
      onTick(left);
      await new Promise((r) => setTimeout(r, 1000));
    }
    source.disconnect();
    node.port.onmessage = null;
    const n = blocks.reduce((s, b) => s + b.length, 0);
    if (n === 0) throw new Error('the microphone gave no sound; check the input device');
    const samples = new Float32Array(n);
    let at = 0;
    for (const b of blocks) {
      samples.set(b, at);
      at += b.length;
    }
    return { samples, sampleRate: ctx.sampleRate, source: `microphone (${seconds} s)` };
  } finally {
    stream.getTracks().forEach((t) => t.stop());
    void ctx.close();
  }
}
