/**
 * An ordered set with positions (an order-statistic treap): insert, delete, the element at a
 * position and an element's position, each in O(log n) expected. Incremental runs keep one per
 * capacity tier, holding its unpinned members in ranking order, so that a change moves the seat
 * boundary by a few positions instead of re-sorting every member (spec §4.6).
 *
 * The comparator must be a total order and must not change for an element while it is in the tree:
 * callers replace an element (delete, then insert a new one) when its ranking key changes.
 * Priorities come from a fixed-seed generator: the core is deterministic (no Math.random).
 */

interface TreeNode<T> {
  readonly value: T;
  readonly priority: number;
  size: number;
  left: TreeNode<T> | undefined;
  right: TreeNode<T> | undefined;
}

function sizeOf<T>(node: TreeNode<T> | undefined): number {
  return node === undefined ? 0 : node.size;
}

function update<T>(node: TreeNode<T>): TreeNode<T> {
  node.size = 1 + sizeOf(node.left) + sizeOf(node.right);
  return node;
}

export class OrderTree<T> {
  private root: TreeNode<T> | undefined;
  private seed = 0x2545f491;
  private readonly compare: (a: T, b: T) => number;

  constructor(compare: (a: T, b: T) => number) {
    this.compare = compare;
  }

  get size(): number {
    return sizeOf(this.root);
  }

  /** Adds `value`; an element comparing equal to it must not be in the tree. */
  insert(value: T): void {
    const [less, rest] = this.split(this.root, value);
    const node: TreeNode<T> = { value, priority: this.nextPriority(), size: 1, left: undefined, right: undefined };
    this.root = this.merge(this.merge(less, node), rest);
  }

  /** Removes the element comparing equal to `value`; false when there is none. */
  delete(value: T): boolean {
    let removed = false;
    const remove = (node: TreeNode<T> | undefined): TreeNode<T> | undefined => {
      if (node === undefined) return undefined;
      const order = this.compare(value, node.value);
      if (order === 0) {
        removed = true;
        return this.merge(node.left, node.right);
      }
      if (order < 0) node.left = remove(node.left);
      else node.right = remove(node.right);
      return update(node);
    };
    this.root = remove(this.root);
    return removed;
  }

  /** The element at 0-based `index` in order, or undefined past the end. */
  at(index: number): T | undefined {
    let node = this.root;
    let i = index;
    while (node !== undefined) {
      const left = sizeOf(node.left);
      if (i < left) node = node.left;
      else if (i === left) return node.value;
      else {
        i -= left + 1;
        node = node.right;
      }
    }
    return undefined;
  }

  /** How many elements order strictly before `value` (which need not be in the tree). */
  countLess(value: T): number {
    let node = this.root;
    let count = 0;
    while (node !== undefined) {
      if (this.compare(node.value, value) < 0) {
        count += sizeOf(node.left) + 1;
        node = node.right;
      } else {
        node = node.left;
      }
    }
    return count;
  }

  /** Every element in order (for tests and rows; O(n)). */
  *[Symbol.iterator](): IterableIterator<T> {
    const stack: TreeNode<T>[] = [];
    let node = this.root;
    while (node !== undefined || stack.length > 0) {
      while (node !== undefined) {
        stack.push(node);
        node = node.left;
      }
      const top = stack.pop();
      if (top === undefined) break;
      yield top.value;
      node = top.right;
    }
  }

  /** Splits into the elements ordering before `value` and the rest. */
  private split(node: TreeNode<T> | undefined, value: T): [TreeNode<T> | undefined, TreeNode<T> | undefined] {
    if (node === undefined) return [undefined, undefined];
    if (this.compare(node.value, value) < 0) {
      const [less, rest] = this.split(node.right, value);
      node.right = less;
      return [update(node), rest];
    }
    const [less, rest] = this.split(node.left, value);
    node.left = rest;
    return [less, update(node)];
  }

  private merge(a: TreeNode<T> | undefined, b: TreeNode<T> | undefined): TreeNode<T> | undefined {
    if (a === undefined) return b;
    if (b === undefined) return a;
    if (a.priority > b.priority) {
      a.right = this.merge(a.right, b);
      return update(a);
    }
    b.left = this.merge(a, b.left);
    return update(b);
  }

  /** xorshift32: a fixed sequence, so runs are reproducible. */
  private nextPriority(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}
