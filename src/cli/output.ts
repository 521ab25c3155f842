/**
 * Output held until the run has checked every input line, then written with backpressure. The lines
 * are kept as UTF-8 buffers (outside the JavaScript heap, so the GC never traces them) and each is
 * let go once written.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

const SEAL_AT = 1 << 16;

export class HeldOutput {
  private lines: string[] = [];
  private size = 0;
  private buffers: Buffer[] = [];

  push(line: string): void {
    this.lines.push(line);
    this.size += line.length + 1;
    if (this.size >= SEAL_AT) this.seal();
  }

  /** Writes everything held, in order, and forgets it. */
  async writeTo(out: Writable): Promise<void> {
    this.seal();
    const buffers = this.buffers;
    this.buffers = [];
    for (let i = 0; i < buffers.length; i++) {
      const buffer = buffers[i];
      if (buffer === undefined) continue;
      buffers[i] = Buffer.alloc(0);
      if (!out.write(buffer)) await once(out, 'drain');
    }
  }

  private seal(): void {
    if (this.size === 0) return;
    this.lines.push('');
    this.buffers.push(Buffer.from(this.lines.join('\n'), 'utf8'));
    this.lines = [];
    this.size = 0;
  }
}
