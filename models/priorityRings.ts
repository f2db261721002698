/**
 * The ready copies of a standard queue, one FIFO ring per priority class (RabbitMQ priority
 * queues): delivery takes the head of the highest class that has any. With one class this is a
 * plain FIFO.
 */
import { IntRing } from "./ring.ts";

export class PriorityRings {
  /** Ready copies in all classes. */
  size = 0;
  private readonly rings: IntRing[];

  constructor(readonly classCount: number) {
    this.rings = Array.from({ length: Math.max(1, classCount) }, () => new IntRing());
  }

  push(priorityClass: number, slot: number): void {
    this.rings[priorityClass].push(slot);
    this.size++;
  }

  /** Puts a copy first in its class (requeued to the head). */
  pushFront(priorityClass: number, slot: number): void {
    this.rings[priorityClass].unshift(slot);
    this.size++;
  }

  /** The next copy to deliver: the head of the highest non-empty class. Only when size > 0. */
  shift(): number {
    return this.shiftFrom(this.highestNonEmpty());
  }

  shiftFrom(priorityClass: number): number {
    this.size--;
    return this.rings[priorityClass].shift();
  }

  /** The head of a class, or -1 when it is empty. */
  headOf(priorityClass: number): number {
    const ring = this.rings[priorityClass];
    return ring.size === 0 ? -1 : ring.peek();
  }

  highestNonEmpty(): number {
    for (let c = this.rings.length - 1; c >= 0; c--) if (this.rings[c].size > 0) return c;
    return -1;
  }

  lowestNonEmpty(): number {
    for (let c = 0; c < this.rings.length; c++) if (this.rings[c].size > 0) return c;
    return -1;
  }
}
