/**
 * Closed-loop callers (users, an upstream service's threads): each caller has at most one
 * request outstanding; when it ends, in success or failure, the caller thinks for a while and
 * calls again. Load therefore falls when answers slow down, unlike an open-loop producer, but
 * the callers' retries (models/callClient.ts) still multiply what reaches the service.
 */
import { type Distribution, makeDistribution } from "../sim/distributions.ts";
import { LatencyHistogram } from "../sim/histogram.ts";
import type { Kernel } from "../sim/kernel.ts";
import type { TimeGrid } from "../sim/metrics.ts";
import type { RandomStreams } from "../sim/random.ts";
import { CallClient, type CallTarget } from "./callClient.ts";
import type { CallerConfig } from "./config.ts";
import type { RetryPolicy } from "./retryPolicy.ts";

export class Callers {
  readonly client: CallClient;
  /** Time from a request's start to its success, retries included. */
  readonly latency = new LatencyHistogram();
  private readonly startedAtS: Float64Array;
  private readonly thinkTime: Distribution;
  private readonly thinkHandler: number;

  constructor(
    private readonly kernel: Kernel,
    readonly config: CallerConfig,
    private readonly durationS: number,
    target: CallTarget,
    policy: RetryPolicy,
    streams: RandomStreams,
    grid: TimeGrid,
  ) {
    const name = `callers:${config.name}`;
    this.startedAtS = new Float64Array(config.count);
    this.thinkTime = makeDistribution(config.thinkTime, streams.stream(`${name}/think`));
    this.thinkHandler = kernel.register(`${name}/think`, (caller) => this.request(caller));
    this.client = new CallClient(
      kernel,
      name,
      target,
      config.calls.timeoutS,
      policy,
      true,
      (caller, ok) => this.requestDone(caller, ok),
      grid,
    );
  }

  /** Each caller makes its first request after one think time from startS. */
  start(): void {
    for (let caller = 0; caller < this.config.count; caller++) {
      this.kernel.schedule(this.config.startS + this.thinkTime.sample(), this.thinkHandler, caller);
    }
  }

  private request(caller: number): void {
    if (this.kernel.nowS >= this.durationS) return;
    this.startedAtS[caller] = this.kernel.nowS;
    this.client.call(caller);
  }

  private requestDone(caller: number, ok: boolean): void {
    const nowS = this.kernel.nowS;
    if (ok) this.latency.record(nowS - this.startedAtS[caller]);
    this.kernel.schedule(this.thinkTime.sample(), this.thinkHandler, caller);
  }
}
