/**
 * Writes many lines to a file in ~1 MiB chunks, respecting backpressure, and syncs it to disk at the
 * end so that write-back of the input does not compete with the runs being measured.
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';

const FLUSH_AT = 1 << 20;

export class ChunkedFile {
  private readonly path: string;
  private readonly stream: WriteStream;
  private parts: string[] = [];
  private size = 0;
  lines = 0;

  constructor(path: string) {
    this.path = path;
    this.stream = createWriteStream(path, { highWaterMark: FLUSH_AT });
  }

  /** Queues one line (without its newline); call `flushIfFull` now and then. */
  line(text: string): void {
    this.parts.push(text);
    this.size += text.length + 1;
    this.lines++;
  }

  async flushIfFull(): Promise<void> {
    if (this.size >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = `${this.parts.join('\n')}\n`;
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await finished(this.stream);
    const handle = await open(this.path, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
