/** Buffered line output that respects backpressure, so a million lines do not pile up in memory. */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

const FLUSH_AT = 1 << 16;

export class LineWriter {
  private readonly out: Writable;
  private chunks: string[] = [];
  private size = 0;

  constructor(out: Writable) {
    this.out = out;
  }

  async writeLine(line: string): Promise<void> {
    this.chunks.push(line, '\n');
    this.size += line.length + 1;
    if (this.size >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    const chunk = this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
}
