/** A growable list of unsigned 32-bit integers: a million line numbers in 4 MB, nothing for the GC to trace. */
export class U32List {
  private items = new Uint32Array(1 << 12);
  length = 0;

  push(value: number): void {
    if (this.length === this.items.length) {
      const grown = new Uint32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.length++] = value;
  }

  /** The value at `index` (0 past the end). */
  at(index: number): number {
    return this.items[index] ?? 0;
  }

  set(index: number, value: number): void {
    this.items[index] = value;
  }
}
