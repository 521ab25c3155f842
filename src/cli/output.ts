/**
 * Output held until the run has checked every input line, then written with backpressure. Decision
 * lines are encoded straight into 1 MiB UTF-8 buffers (outside the JavaScript heap, so the GC never
 * traces them, and no joined strings are built); each buffer is let go once written.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { NextHint } from '../core/index.ts';

const BUFFER_SIZE = 1 << 20;

export class HeldOutput {
  private current = Buffer.allocUnsafe(BUFFER_SIZE);
  private used = 0;
  private buffers: Uint8Array[] = [];
  private readonly encodedHints = new WeakMap<NextHint, Buffer>();

  /** Makes room for `bytes` more bytes in the current buffer. */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.current.length) return;
    this.seal();
    if (bytes > this.current.length) this.current = Buffer.allocUnsafe(bytes);
  }

  /**
   * Adds one decision as a JSON line — the bytes `JSON.stringify({type, id, tier, reasons, next})`
   * gives, with `next` null when the record has no next-tier hint (spec §8: the output lists every
   * record) — written piece by piece into the buffer: no line string is built. Tier values need no
   * escaping (`^[a-z][a-z0-9_]*$`); ids, reasons and field names are escaped by JSON.stringify only
   * when they need it.
   */
  pushDecision(
    type: 'company' | 'contact',
    id: string,
    tier: string,
    reasons: readonly string[],
    next?: NextHint,
  ): void {
    let chars = id.length + tier.length + 80;
    for (const reason of reasons) chars += reason.length + 3;
    if (next !== undefined) chars += next.tier.length + next.field.length + 340;
    // Escaped, a UTF-16 code unit takes at most 6 bytes (\uXXXX).
    this.reserve(chars * 6);
    const buffer = this.current;
    let at = this.used;
    at += buffer.write(type === 'company' ? '{"type":"company","id":' : '{"type":"contact","id":', at, 'latin1');
    at += writeJsonString(buffer, at, id);
    at += buffer.write(',"tier":"', at, 'latin1');
    at += buffer.write(tier, at, 'latin1');
    at += buffer.write('","reasons":[', at, 'latin1');
    for (let i = 0; i < reasons.length; i++) {
      if (i > 0) buffer[at++] = 0x2c;
      at += writeJsonString(buffer, at, reasons[i] ?? '');
    }
    buffer[at++] = 0x5d;
    if (next === undefined) {
      at += buffer.write(',"next":null}\n', at, 'latin1');
    } else {
      // The core shares one hint object among all the records it is the hint of: encode it once.
      let tail = this.encodedHints.get(next);
      if (tail === undefined) {
        tail = Buffer.from(`,"next":${JSON.stringify(next)}}\n`, 'utf8');
        this.encodedHints.set(next, tail);
      }
      tail.copy(buffer, at);
      at += tail.length;
    }
    this.used = at;
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

/** Characters JSON.stringify would escape (or rewrite, for lone surrogates); surrogate pairs go the slow way too. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Writes `text` as a JSON string; returns the bytes written. */
function writeJsonString(buffer: Buffer, at: number, text: string): number {
  if (NEEDS_ESCAPE.test(text)) return buffer.write(JSON.stringify(text), at, 'utf8');
  buffer[at] = 0x22;
  const written = buffer.write(text, at + 1, 'utf8');
  buffer[at + 1 + written] = 0x22;
  return written + 2;
}
