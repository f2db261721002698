/**
 * Readings of the metrics that autoscalers and alerts watch, each a function of no argument read
 * at the current virtual time: a queue's depth, in-flight and dead-letter counts and the age of
 * its oldest waiting message; a consumer group's lag (by committed offsets, as Kafka's tools
 * report it) and the age of its oldest unfetched record; a consumer's instances.
 */
import type { AlertMetric } from "./config.ts";
import type { QueueConsumers } from "./queueConsumers.ts";
import type { StreamGroup } from "./streamGroup.ts";
import type { TaskQueue } from "./taskQueue.ts";

type Clock = { readonly nowS: number };

/** Metrics of a queue; null for one a queue does not have. */
export function queueReading(
  queue: TaskQueue,
  metric: AlertMetric,
  clock: Clock,
  includeInFlight = false,
): (() => number) | null {
  switch (metric) {
    case "depth":
      return includeInFlight
        ? () => queue.ready.size + queue.inFlightCount
        : () => queue.ready.size;
    case "inFlight":
      return () => queue.inFlightCount;
    case "dlqDepth":
      return () => queue.deadLetterDepth;
    case "throttleRate":
      return rateReading(() => queue.limits.throttledWrites, clock);
    case "oldestAge":
      return () => {
        const arrivedAtS = queue.oldestReadyArrivedAtS();
        return arrivedAtS === null ? 0 : clock.nowS - arrivedAtS;
      };
    default:
      return null;
  }
}

/** Metrics of a consumer group on a topic; null for one a group does not have. */
export function groupReading(
  group: StreamGroup,
  metric: AlertMetric,
  clock: Clock,
): (() => number) | null {
  switch (metric) {
    case "lag":
      return () => group.committedLag();
    case "oldestAge":
      return () => {
        const appendedAtS = group.oldestUnreadAppendedAtS();
        return appendedAtS === null ? 0 : clock.nowS - appendedAtS;
      };
    case "consumers":
      return () => group.instances;
    case "dlqDepth":
      // The group's dead-letter topic: records whose calls used up their attempts.
      return () => group.deadLettered;
    default:
      return null;
  }
}

/** Metrics of a pool of queue consumers: its instances, or those of its queue. */
export function poolReading(
  pool: QueueConsumers,
  queue: TaskQueue,
  metric: AlertMetric,
  clock: Clock,
): (() => number) | null {
  if (metric === "consumers") return () => pool.instances;
  return queueReading(queue, metric, clock);
}

/**
 * A counter's increase per second since the previous reading (an alert's evaluation), as
 * Prometheus' rate() over one evaluation interval; 0 at the first reading.
 */
export function rateReading(count: () => number, clock: Clock): () => number {
  let lastCount = count();
  let lastS = clock.nowS;
  return () => {
    const nowS = clock.nowS;
    const current = count();
    const perS = nowS > lastS ? (current - lastCount) / (nowS - lastS) : 0;
    lastCount = current;
    lastS = nowS;
    return perS;
  };
}
