/** A growable FIFO of 32-bit integers over a typed array (message slots, consumer tokens). */
export class IntRing {
  private items: Int32Array;
  private head = 0;
  size = 0;

  constructor(initialCapacity = 1024) {
    this.items = new Int32Array(initialCapacity);
  }

  push(value: number): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) % this.items.length] = value;
    this.size++;
  }

  /** Puts `value` first in line (a message requeued to the head). */
  unshift(value: number): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = value;
    this.size++;
  }

  shift(): number {
    if (this.size === 0) throw new Error("shift from an empty ring");
    const value = this.items[this.head];
    this.head = (this.head + 1) % this.items.length;
    this.size--;
    return value;
  }

  /** The oldest item, left in place. */
  peek(): number {
    if (this.size === 0) throw new Error("peek into an empty ring");
    return this.items[this.head];
  }

  /** The items, oldest first (for end-of-run checks, not the hot path). */
  toArray(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.items[(this.head + i) % this.items.length]);
    return out;
  }

  private grow(): void {
    const grown = new Int32Array(this.items.length * 2);
    for (let i = 0; i < this.size; i++) grown[i] = this.items[(this.head + i) % this.items.length];
    this.items = grown;
    this.head = 0;
  }

  /** Removes the first occurrence of `value`, keeping the order of the rest; O(size), for rare use. */
  remove(value: number): boolean {
    const capacity = this.items.length;
    for (let i = 0; i < this.size; i++) {
      if (this.items[(this.head + i) % capacity] !== value) continue;
      for (let j = i; j < this.size - 1; j++) {
        this.items[(this.head + j) % capacity] = this.items[(this.head + j + 1) % capacity];
      }
      this.size--;
      return true;
    }
    return false;
  }
}
