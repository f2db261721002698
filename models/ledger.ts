/**
 * The fate ledger of one subscription (a queue, or one consumer group on a topic): every message
 * it admits ends in exactly one accounted state, and every extra processing of it is counted as
 * a duplicate effect.
 *
 * One byte per message id, in pages of 64 KiB allocated as ids reach them (no array grown by
 * copying, no room held beyond the last page): the low 3 bits hold the fate, the high 5 bits the
 * number of live copies of the message for this subscription (on a link, queued, in flight, retained in a log
 * and not yet committed past, held in a consumer's memory). A message whose last copy
 * disappears before it has a fate is lost, and the caller must say why.
 *
 * A copy can leave with a loss cause while another remains that will leave without one: a
 * consumer group commits past a record and crashes (lost, for the group) while the producer
 * still holds the record awaiting its acknowledgement, which then removes the last copy
 * "delivered". The cause is remembered until the message has a fate, and applies then.
 */
import { InvariantError } from "./errors.ts";
import type { Fates } from "./results.ts";

export const Fate = {
  /** Not a message of this subscription. */
  none: 0,
  pending: 1,
  processed: 2,
  deadLettered: 3,
  dropped: 4,
  lost: 5,
} as const;
export type FateCode = (typeof Fate)[keyof typeof Fate];

const FATE_MASK = 0b111;
const COPY_UNIT = 0b1000;
const COPIES_MAX = 31;

/** The fates a ledger counts, in the order of the summary's. */
export type FateCounts = Omit<Fates, "duplicateEffects" | "conserved">;

export class FateLedger {
  produced = 0;
  processed = 0;
  deadLettered = 0;
  dropped = 0;
  lost = 0;
  duplicateEffects = 0;
  /** Lost messages by cause, e.g. "link-loss:api->orders". */
  readonly lostByCause = new Map<string, number>();
  /** Dropped messages by reason. */
  readonly droppedByReason = new Map<string, number>();

  private readonly states = new PagedBytes();
  /** Loss causes of copies that left while others remained (see above); few at a time. */
  private readonly pendingLossCause = new Map<number, string>();

  /**
   * Loss causes of lost messages, kept only by a ledger whose messages may come again (a
   * pipeline stage's destination: the stage before can forward a message once more), so that a
   * lost message that comes again is pending again; null otherwise.
   */
  private lossCauseOf: Map<number, string> | null = null;

  constructor(private readonly clock: { readonly nowS: number }) {}

  /** Messages may come again after their fate (see `readmit`). */
  acceptReadmissions(): void {
    this.lossCauseOf ??= new Map();
  }

  /** Ids below this have been seen; states beyond it are all `none`. */
  private idsEnd = 0;

  /** Message `id` (ids are dense over the run, shared by all subscriptions) is now this subscription's, with one live copy. */
  admit(id: number): void {
    if (this.states.get(id) !== Fate.none) this.fail(`message ${id} admitted twice`);
    this.states.set(id, COPY_UNIT | Fate.pending);
    this.produced++;
    if (id >= this.idsEnd) this.idsEnd = id + 1;
  }

  /**
   * Message `id` comes again as a new copy (a pipeline stage forwards a message it applied twice):
   * admitted if new; one more live copy otherwise, and pending again if it was lost (it was not
   * lost after all). A dead-lettered or dropped message keeps its fate unless the copy is
   * processed, and a processed one counts a duplicate effect if it is processed again.
   */
  readmit(id: number): void {
    const fate = this.fateOf(id);
    if (fate === Fate.none) {
      this.admit(id);
      return;
    }
    if (fate === Fate.lost) {
      const cause = this.lossCauseOf?.get(id);
      if (cause === undefined) this.fail(`lost message ${id} came again without readmissions`);
      this.lossCauseOf!.delete(id);
      this.lost--;
      const left = this.lostByCause.get(cause)! - 1;
      if (left === 0) this.lostByCause.delete(cause);
      else this.lostByCause.set(cause, left);
      this.setFate(id, Fate.pending);
    }
    this.addCopy(id);
  }

  fateOf(id: number): FateCode {
    return (this.states.get(id) & FATE_MASK) as FateCode;
  }

  liveCopies(id: number): number {
    return this.states.get(id) >> 3;
  }

  /** A network duplicated the message: one more copy travels. */
  addCopy(id: number): void {
    const copies = this.liveCopies(id);
    if (copies === COPIES_MAX) this.fail(`message ${id} has more than ${COPIES_MAX} live copies`);
    this.states.set(id, this.states.get(id) + COPY_UNIT);
  }

  /**
   * A copy left the system (acked, dead-lettered, dropped, or destroyed). When it was the last
   * copy of a message that has no fate yet, the message is lost with `lossCause`.
   */
  removeCopy(id: number, lossCause: string | null): void {
    const copies = this.liveCopies(id);
    if (copies === 0) this.fail(`message ${id} has no live copy to remove`);
    this.states.set(id, this.states.get(id) - COPY_UNIT);
    if (this.fateOf(id) !== Fate.pending) return;
    if (copies > 1) {
      if (lossCause !== null) this.pendingLossCause.set(id, lossCause);
      return;
    }
    const cause = lossCause ?? this.pendingLossCause.get(id) ?? null;
    if (cause === null) this.fail(`last copy of message ${id} removed without a fate`);
    this.setFate(id, Fate.lost);
    this.lost++;
    this.lostByCause.set(cause, (this.lostByCause.get(cause) ?? 0) + 1);
    this.lossCauseOf?.set(id, cause);
  }

  /** A processing of the message completed; returns true for the first, false for a duplicate effect. */
  recordProcessed(id: number): boolean {
    const fate = this.fateOf(id);
    if (fate === Fate.processed) {
      this.duplicateEffects++;
      return false;
    }
    // Processing is the strongest fate: a copy processed after another was dead-lettered or
    // dropped still had its effect.
    if (fate === Fate.deadLettered) this.deadLettered--;
    else if (fate === Fate.dropped) this.dropped--;
    else if (fate === Fate.lost) this.fail(`lost message ${id} was processed`);
    else if (fate === Fate.none) this.fail(`message ${id} processed but never admitted`);
    this.setFate(id, Fate.processed);
    this.processed++;
    return true;
  }

  /** The message went to a dead-letter queue (unless it was already processed). */
  recordDeadLettered(id: number): void {
    if (this.fateOf(id) !== Fate.pending) return;
    this.setFate(id, Fate.deadLettered);
    this.deadLettered++;
  }

  /**
   * A message parked in a dead-letter queue is sent back to its queue (a redrive): one live copy
   * again, and pending again unless a copy of it was processed meanwhile.
   */
  redriven(id: number): void {
    if (this.fateOf(id) === Fate.deadLettered) {
      this.setFate(id, Fate.pending);
      this.deadLettered--;
    }
    this.addCopy(id);
  }

  /** The message was discarded on purpose, with a reason (overflow, TTL, a producer's rate limit). */
  recordDropped(id: number, reason: string): void {
    if (this.fateOf(id) !== Fate.pending) return;
    this.setFate(id, Fate.dropped);
    this.dropped++;
    this.droppedByReason.set(reason, (this.droppedByReason.get(reason) ?? 0) + 1);
  }

  /** Ids below this have been seen (for per-message recounts elsewhere). */
  get idsSeen(): number {
    return this.idsEnd;
  }

  get pending(): number {
    return this.produced - this.processed - this.deadLettered - this.dropped - this.lost;
  }

  /** The running counts. */
  counts(): FateCounts {
    return {
      produced: this.produced,
      processed: this.processed,
      deadLettered: this.deadLettered,
      dropped: this.dropped,
      pending: this.pending,
      lost: this.lost,
    };
  }

  /** Counts recomputed from every message's stored fate, independently of the running counters. */
  recount(): FateCounts & { liveCopies: number; pendingWithoutCopy: number } {
    const byFate = [0, 0, 0, 0, 0, 0];
    let liveCopies = 0;
    let pendingWithoutCopy = 0;
    for (let id = 0; id < this.idsEnd; id++) {
      const state = this.states.get(id);
      const fate = state & FATE_MASK;
      byFate[fate]++;
      liveCopies += state >> 3;
      if (fate === Fate.pending && state >> 3 === 0) pendingWithoutCopy++;
    }
    return {
      produced: this.idsEnd - byFate[Fate.none],
      processed: byFate[Fate.processed],
      deadLettered: byFate[Fate.deadLettered],
      dropped: byFate[Fate.dropped],
      pending: byFate[Fate.pending],
      lost: byFate[Fate.lost],
      liveCopies,
      pendingWithoutCopy,
    };
  }

  private setFate(id: number, fate: FateCode): void {
    this.states.set(id, (this.states.get(id) & ~FATE_MASK) | fate);
    if (fate !== Fate.pending && this.pendingLossCause.size > 0) this.pendingLossCause.delete(id);
  }

  private fail(message: string): never {
    throw new InvariantError(message, this.clock.nowS);
  }
}

const PAGE_BITS = 16;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

/** Bytes indexed by a dense id, in pages made when an id first reaches them; 0 elsewhere. */
class PagedBytes {
  private readonly pages: Uint8Array[] = [];

  get(id: number): number {
    const page = this.pages[id >>> PAGE_BITS];
    return page === undefined ? 0 : page[id & PAGE_MASK];
  }

  set(id: number, value: number): void {
    const index = id >>> PAGE_BITS;
    while (this.pages.length <= index) this.pages.push(new Uint8Array(PAGE_SIZE));
    this.pages[index][id & PAGE_MASK] = value;
  }
}
