/** A set of message ids (dense integers 0, 1, 2, ...), one bit per id up to the largest added. */
import { grown } from "../sim/grow.ts";

export class MessageIdSet {
  private words = new Uint32Array(1024);

  has(id: number): boolean {
    const word = Math.floor(id / 32);
    return word < this.words.length && (this.words[word] & (1 << (id % 32))) !== 0;
  }

  add(id: number): void {
    const word = Math.floor(id / 32);
    if (word >= this.words.length) {
      let length = this.words.length * 2;
      while (word >= length) length *= 2;
      this.words = grown(this.words, length);
    }
    this.words[word] |= 1 << (id % 32);
  }
}
