/**
 * A downstream service as its callers see it: its own servers do their part of each request
 * (models/downstream.ts), then, if it depends on a layer below, it calls that layer with its own
 * timeout and retry policy and answers ok only if that call succeeded. Layers stacked this way
 * multiply attempts: k layers that each try 3 times send up to 3^k attempts to the bottom one.
 */
import { grown } from "../sim/grow.ts";
import type { Kernel } from "../sim/kernel.ts";
import type { CallClient, CallTarget } from "./callClient.ts";
import { type Downstream, Reply } from "./downstream.ts";

export class ServiceLayer implements CallTarget {
  /** The client of the layer below; null for a service that depends on nothing. */
  dependency: CallClient | null = null;
  // Requests being served, one slot each: the caller's tag and reply handler.
  private callerTag = new Float64Array(64);
  private callerHandler = new Int32Array(64);
  private readonly freeSlots: number[] = [];
  private slotsUsed = 0;
  private readonly ownPartDone: number;
  private readonly answerHandler: number;

  constructor(
    private readonly kernel: Kernel,
    readonly name: string,
    readonly downstream: Downstream,
  ) {
    this.ownPartDone = kernel.register(`service:${name}/own-part-done`, (slot, reply) =>
      this.ownPartEnded(slot, reply),
    );
    this.answerHandler = kernel.register(`service:${name}/answer`, (slot, reply) =>
      this.answer(slot, reply),
    );
  }

  submit(tag: number, replyHandler: number): void {
    if (this.dependency === null) {
      this.downstream.submit(tag, replyHandler);
      return;
    }
    const slot = this.takeSlot();
    this.callerTag[slot] = tag;
    this.callerHandler[slot] = replyHandler;
    this.downstream.submit(slot, this.ownPartDone);
  }

  /** The call to the layer below ended (the CallClient's onDone). */
  dependencyDone(slot: number, ok: boolean): void {
    // Answered through the event queue, as a service's reply travels.
    this.kernel.schedule(0, this.answerHandler, slot, ok ? Reply.ok : Reply.rejected);
  }

  private ownPartEnded(slot: number, reply: number): void {
    if (reply === Reply.ok) this.dependency!.call(slot);
    else this.answer(slot, reply);
  }

  private answer(slot: number, reply: number): void {
    const tag = this.callerTag[slot];
    const handler = this.callerHandler[slot];
    this.freeSlots.push(slot);
    this.kernel.schedule(0, handler, tag, reply);
  }

  private takeSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.slotsUsed === this.callerTag.length) {
      const capacity = this.callerTag.length * 2;
      this.callerTag = grown(this.callerTag, capacity);
      this.callerHandler = grown(this.callerHandler, capacity);
    }
    return this.slotsUsed++;
  }
}
