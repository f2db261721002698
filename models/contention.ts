/**
 * Contention on one optimistic-concurrency row, after the AWS Architecture Blog's "Exponential
 * Backoff And Jitter" (Marc Brooker, 2015) and the simulator it was made with.
 *
 * N clients start at once; each wants one successful write. An attempt reads the row's version
 * (a request to the row and its reply), then sends a conditional write that the row applies only
 * if nobody wrote since that read (the write's request and its reply): four one-way hops, each
 * drawn afresh. A read sees the version when it reaches the row; a write is judged when it
 * reaches the row. A client told of a conflict asks its retry policy for a delay, waits it out,
 * and reads again. A contest ends when every client has learned of its success (or its policy
 * gave up): that time is its completion time; its calls are the writes sent, as the study
 * counts them (each write follows a read, which is not counted).
 *
 * Each client has its own RetryPolicy (the study's clients are independent) and its own random
 * streams, named after the contest and the client, so variants that differ only in their policy
 * see the same network delays (common random numbers).
 */
import {
  type Distribution,
  type DistributionSpec,
  makeDistribution,
  StandardNormal,
} from "../sim/distributions.ts";
import { Kernel, KernelError } from "../sim/kernel.ts";
import type { Rng } from "../sim/random.ts";
import { InvariantError } from "./errors.ts";
import type { ContentionPoint, ContentionSummary } from "./results.ts";
import { NO_RETRY, RetryPolicy, type RetryPolicyConfig } from "./retryPolicy.ts";

export interface ContentionConfig {
  /** The client counts to run, in increasing order; each count runs its own contests. */
  clientCounts: number[];
  /**
   * One-way network delay between a client and the row. A normal law is folded (|x|), as the
   * study's simulator draws it, rather than truncated at zero as elsewhere in queuelab.
   */
  hop: DistributionSpec;
  /** Each client's policy (the study: base 5 ms, cap 2 s, unlimited attempts). */
  retry: RetryPolicyConfig;
  /** Contests per client count, averaged (the study ran 100). */
  repetitions: number;
}

/** Named random streams: RandomStreams, or a scripted stand-in in tests. */
export interface StreamSource {
  stream(name: string): Rng;
}

/** What one contest measured. */
export interface ContestResult {
  clients: number;
  /** Conditional writes that reached the row. */
  calls: number;
  /** Writes refused because the row changed after the client's read. */
  conflicts: number;
  /** Clients whose policy stopped retrying before a success. */
  gaveUp: number;
  /** When the last client learned its write succeeded, or that its policy gave up. */
  completionS: number;
}

/** |x| of a normal draw: the study's `abs(random.normalvariate(mean, sd))`. */
class FoldedNormal implements Distribution {
  private readonly normal: StandardNormal;

  constructor(
    rng: Rng,
    readonly mean: number,
    private readonly stddev: number,
  ) {
    this.normal = new StandardNormal(rng);
  }

  sample(): number {
    return Math.abs(this.mean + this.stddev * this.normal.next());
  }

  describe(): string {
    return `|normal(mean ${this.mean}, stddev ${this.stddev})|`;
  }
}

function hopDistribution(spec: DistributionSpec, rng: Rng): Distribution {
  return spec.kind === "normal"
    ? new FoldedNormal(rng, spec.mean, spec.stddev)
    : makeDistribution(spec, rng);
}

/** One contest: `clients` clients against one row, on a kernel of its own. */
export class Contest {
  readonly kernel = new Kernel();
  /** The row's version: the number of writes it applied. */
  private version = 0;
  private calls = 0;
  private conflicts = 0;
  private gaveUp = 0;
  private finished = 0;
  private completionS = 0;
  /** The version each client's last read saw. */
  private readonly versionRead: Float64Array;
  /** Writes each client has sent. */
  private readonly writesSent: Float64Array;
  /** The delay before each client's last retry (decorrelated jitter grows from it). */
  private readonly previousDelayS: Float64Array;
  private readonly policies: RetryPolicy[] = [];
  private readonly hops: Distribution[] = [];
  private readonly readAtRow: number;
  private readonly writeAtRow: number;

  constructor(
    readonly clients: number,
    hop: DistributionSpec,
    retry: RetryPolicyConfig,
    streams: StreamSource,
    /** Prefix of the contest's stream names, e.g. `contention/clients:10/run:0`. */
    streamPrefix: string,
  ) {
    if (!Number.isInteger(clients) || clients < 1) {
      throw new RangeError(`a contest needs a whole number of clients >= 1, got ${clients}`);
    }
    if (retry.circuitBreaker !== null) {
      // Each client makes one request: a breaker has no stream of calls to judge.
      throw new RangeError("a contest's retry policy cannot have a circuit breaker");
    }
    this.versionRead = new Float64Array(clients);
    this.writesSent = new Float64Array(clients);
    this.previousDelayS = new Float64Array(clients);
    for (let i = 0; i < clients; i++) {
      const name = `${streamPrefix}/client:${i}`;
      this.policies.push(new RetryPolicy(retry, streams.stream(name)));
      this.hops.push(hopDistribution(hop, streams.stream(`${name}/hop`)));
    }
    this.readAtRow = this.kernel.register("contention/read", (i) => this.read(i));
    this.writeAtRow = this.kernel.register("contention/write", (i) => this.write(i));
  }

  /** Runs the contest to its end (every client done) and returns what it measured. */
  run(): ContestResult {
    if (this.kernel.nowS > 0 || this.finished > 0) throw new Error("a contest runs once");
    for (let i = 0; i < this.clients; i++) {
      this.policies[i].recordRequest(0);
      this.kernel.schedule(this.hops[i].sample(), this.readAtRow, i);
    }
    try {
      this.kernel.run();
    } catch (error) {
      if (error instanceof KernelError) throw new InvariantError(error.message, this.kernel.nowS);
      throw error;
    }
    this.checkEnd();
    return {
      clients: this.clients,
      calls: this.calls,
      conflicts: this.conflicts,
      gaveUp: this.gaveUp,
      completionS: this.completionS,
    };
  }

  /** Client i's read reaches the row; its reply goes back and the write comes straight out. */
  private read(i: number): void {
    this.versionRead[i] = this.version;
    const hops = this.hops[i];
    const replyS = hops.sample();
    this.kernel.schedule(replyS + hops.sample(), this.writeAtRow, i);
  }

  /** Client i's conditional write reaches the row. */
  private write(i: number): void {
    const nowS = this.kernel.nowS;
    const policy = this.policies[i];
    // Each refused write was refused by one of the n successes, which each refuse at most the
    // n - 1 other writes then outstanding: n^2 calls at most, or the model is wrong.
    if (++this.calls > this.clients * this.clients) {
      throw new InvariantError(
        `contest of ${this.clients} clients: more than ${this.clients}^2 calls`,
        nowS,
      );
    }
    const writes = ++this.writesSent[i];
    const toldAtS = nowS + this.hops[i].sample();
    if (this.versionRead[i] === this.version) {
      this.version++;
      policy.recordSuccess(toldAtS, writes === 1 ? "first-attempt" : "retry");
      this.finish(toldAtS);
      return;
    }
    this.conflicts++;
    policy.recordFailure(toldAtS, false);
    const delayS = policy.retryDelayS(writes, this.previousDelayS[i], toldAtS, false);
    if (delayS === NO_RETRY) {
      this.gaveUp++;
      this.finish(toldAtS);
      return;
    }
    this.previousDelayS[i] = delayS;
    this.kernel.scheduleAt(toldAtS + delayS + this.hops[i].sample(), this.readAtRow, i);
  }

  private finish(atS: number): void {
    this.finished++;
    if (atS > this.completionS) this.completionS = atS;
  }

  /** Every client done; the row applied one write per client that did not give up. */
  private checkEnd(): void {
    const fail = (problem: string): never => {
      throw new InvariantError(`contest of ${this.clients} clients: ${problem}`, this.kernel.nowS);
    };
    if (this.finished !== this.clients) {
      fail(`${this.finished} clients finished`);
    }
    if (this.version !== this.clients - this.gaveUp) {
      fail(`the row took ${this.version} writes, ${this.gaveUp} clients gave up`);
    }
    if (this.calls !== this.version + this.conflicts) {
      fail(`${this.calls} calls are not ${this.version} writes + ${this.conflicts} conflicts`);
    }
  }
}

/**
 * Runs `repetitions` contests for every client count and averages them. Contest r of n clients
 * draws from streams named `contention/clients:<n>/run:<r>/client:<i>` (the client's policy)
 * and `.../hop` (its network delays).
 */
export function runContention(config: ContentionConfig, streams: StreamSource): ContentionSummary {
  const { clientCounts, repetitions } = config;
  if (clientCounts.length === 0) throw new RangeError("contention needs at least one client count");
  if (!Number.isInteger(repetitions) || repetitions < 1) {
    throw new RangeError(`repetitions must be a whole number >= 1, got ${repetitions}`);
  }
  const byClients = clientCounts.map((clients): ContentionPoint => {
    let calls = 0;
    let completionS = 0;
    let gaveUp = 0;
    for (let r = 0; r < repetitions; r++) {
      const prefix = `contention/clients:${clients}/run:${r}`;
      const result = new Contest(clients, config.hop, config.retry, streams, prefix).run();
      calls += result.calls;
      completionS += result.completionS;
      gaveUp += result.gaveUp;
    }
    return {
      clients,
      calls: calls / repetitions,
      completionS: completionS / repetitions,
      gaveUp: gaveUp / repetitions,
    };
  });
  const atMax = byClients.reduce((most, point) => (point.clients > most.clients ? point : most));
  return {
    repetitions,
    byClients,
    callsAtMax: atMax.calls,
    completionAtMaxS: atMax.completionS,
  };
}
