/**
 * Output held until the run has checked every input line, then written with backpressure. Lines
 * are encoded straight into 1 MiB UTF-8 buffers (outside the JavaScript heap, so the GC never
 * traces them, and no joined strings are built); each buffer is let go once written.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

const BUFFER_SIZE = 1 << 20;

export class HeldOutput {
  private current = Buffer.allocUnsafe(BUFFER_SIZE);
  private used = 0;
  private buffers: Uint8Array[] = [];

  push(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const worst = line.length * 3 + 1;
    if (this.used + worst > this.current.length) {
      this.seal();
      if (worst > this.current.length) this.current = Buffer.allocUnsafe(worst);
    }
    this.used += this.current.write(line, this.used, 'utf8');
    this.current[this.used++] = 0x0a;
  }

  /** Everything held, as buffers each with an ArrayBuffer of its own (so they can be transferred), and forgets it. */
  take(): Uint8Array[] {
    this.seal();
    const buffers = this.buffers;
    this.buffers = [];
    return buffers;
  }

  /** Writes everything held, in order, and forgets it. */
  async writeTo(out: Writable): Promise<void> {
    await writeBuffers(out, this.take());
  }

  private seal(): void {
    if (this.used === 0) return;
    this.buffers.push(this.current.subarray(0, this.used));
    this.current = Buffer.allocUnsafe(BUFFER_SIZE);
    this.used = 0;
  }
}

/** Writes buffers in order with backpressure, letting each go once written. */
export async function writeBuffers(out: Writable, buffers: Uint8Array[]): Promise<void> {
  for (let i = 0; i < buffers.length; i++) {
    const buffer = buffers[i];
    if (buffer === undefined) continue;
    buffers[i] = EMPTY;
    if (!out.write(buffer)) await once(out, 'drain');
  }
}

const EMPTY = new Uint8Array(0);
