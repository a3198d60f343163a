/**
 * Server-Sent Events on one response (the generation progress stream): `event: NAME` + one JSON
 * `data:` line per event, and a comment line every few seconds so proxies and clients keep the
 * connection open while a job waits in the queue.
 */
import type { ServerResponse } from 'node:http';

export class SseStream {
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    heartbeatMs: number,
    headers: Record<string, string> = {},
  ) {
    res.writeHead(200, {
      ...headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    this.timer = setInterval(() => this.write(': keep-alive\n\n'), heartbeatMs);
    this.timer.unref();
    res.on('close', () => this.stop());
  }

  send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (this.closed) return;
    this.stop();
    this.res.end();
  }

  private write(text: string): void {
    if (!this.closed && !this.res.writableEnded) this.res.write(text);
  }

  private stop(): void {
    this.closed = true;
    clearInterval(this.timer);
  }
}
