/** A problem with audio input (a file that cannot be decoded, a signal that cannot be processed). */
export class AudioError extends Error {
  /** The file name or description of the audio, when known. */
  readonly source: string | undefined;

  constructor(message: string, source?: string) {
    super(source ? `${source}: ${message}` : message);
    this.name = 'AudioError';
    this.source = source;
  }
}
