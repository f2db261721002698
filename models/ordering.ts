/**
 * Per-key order checking: did any message get processed after a message of the same key that was
 * produced later? Pure: the caller passes the virtual time.
 */
import { InvariantError, ModelConfigError } from "./errors.ts";

export interface OrderingViolation {
  key: number;
  /** The message produced earlier, processed late (the one processed at `atS`). */
  earlierMessageId: number;
  /** The message produced later that was processed first (it overtook the earlier one). */
  laterMessageId: number;
  atS: number;
}

function checkKeyCount(keyCount: number): void {
  if (!(Number.isInteger(keyCount) && keyCount >= 1)) {
    throw new ModelConfigError(`key count must be an integer >= 1, got ${keyCount}`);
  }
}

function checkKey(keyIndex: number, keyCount: number, nowS: number): void {
  if (!(Number.isInteger(keyIndex) && keyIndex >= 0 && keyIndex < keyCount)) {
    throw new InvariantError(`key index ${keyIndex} outside 0..${keyCount - 1}`, nowS);
  }
}

/**
 * Records each first processing of a message for its key, in processing order, and reports the
 * processing of a message whose per-key production sequence is lower than one already processed
 * for that key (the later message overtook it). Message production order per key is given by a
 * per-key sequence number assigned when the message was produced (the caller keeps it, see
 * KeySequencer).
 *
 * Per key it keeps the highest sequence processed so far and that message's id:
 * - a sequence higher than the highest is in order, and becomes the highest, even when it jumps
 *   ahead (a gap: a message lost or not yet processed is not a violation by itself);
 * - a sequence lower than the highest is a violation: the message being processed now was
 *   produced earlier than the one that overtook it. The highest is unchanged. The first violation
 *   is kept with both ids (`earlierMessageId` = the one processed now, `laterMessageId` = the
 *   highest so far);
 * - a sequence equal to the highest is an InvariantError: only first processings are passed
 *   (deduplicating redeliveries is the caller's concern) and a sequence belongs to one message.
 */
export class OrderingChecker {
  violations = 0;
  firstViolation: OrderingViolation | null = null;

  private readonly highestSequence: Float64Array;
  private readonly highestMessageId: Float64Array;

  constructor(readonly keyCount: number) {
    checkKeyCount(keyCount);
    // -1: nothing processed for the key yet (sequences start at 0).
    this.highestSequence = new Float64Array(keyCount).fill(-1);
    this.highestMessageId = new Float64Array(keyCount).fill(-1);
  }

  /** Message `messageId` with per-key sequence `sequence` for key `keyIndex` was processed at nowS. */
  recordProcessed(keyIndex: number, sequence: number, messageId: number, nowS: number): void {
    checkKey(keyIndex, this.keyCount, nowS);
    if (!(Number.isInteger(sequence) && sequence >= 0)) {
      throw new InvariantError(`sequence must be an integer >= 0, got ${sequence}`, nowS);
    }
    const highest = this.highestSequence[keyIndex];
    if (sequence > highest) {
      this.highestSequence[keyIndex] = sequence;
      this.highestMessageId[keyIndex] = messageId;
      return;
    }
    if (sequence === highest) {
      throw new InvariantError(
        `key ${keyIndex} sequence ${sequence} processed twice (messages ` +
          `${this.highestMessageId[keyIndex]} and ${messageId}): only first processings count`,
        nowS,
      );
    }
    this.violations++;
    if (this.firstViolation === null) {
      this.firstViolation = {
        key: keyIndex,
        earlierMessageId: messageId,
        laterMessageId: this.highestMessageId[keyIndex],
        atS: nowS,
      };
    }
  }
}

/** Assigns per-key production sequence numbers: next(keyIndex) returns 0, 1, 2, ... per key. */
export class KeySequencer {
  private readonly nextSequence: Float64Array;

  constructor(readonly keyCount: number) {
    checkKeyCount(keyCount);
    this.nextSequence = new Float64Array(keyCount);
  }

  next(keyIndex: number): number {
    // No clock here to build an InvariantError with.
    if (!(Number.isInteger(keyIndex) && keyIndex >= 0 && keyIndex < this.keyCount)) {
      throw new RangeError(`key index ${keyIndex} outside 0..${this.keyCount - 1}`);
    }
    return this.nextSequence[keyIndex]++;
  }
}
