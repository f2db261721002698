/**
 * Alert rules evaluated during a run, the way Prometheus evaluates an alerting rule
 * (rules/alerting.go): at every evaluation, at 0, interval, 2 x interval, ..., the metric is read
 * and compared with the threshold.
 * - The condition holding makes the alert pending from that evaluation on (activeAt); it fires at
 *   the first evaluation at which it has held for `forS` (with `for: 0s`, at once). An evaluation
 *   at which it does not hold resets a pending alert.
 * - A firing alert clears at the first evaluation at which the condition does not hold, or with
 *   `keepFiringForS` (Prometheus keep_firing_for) at the first at which it has not held for that
 *   long; holding again meanwhile keeps it firing.
 * Evaluations are events on the virtual clock: at an instant shared with other events, the
 * evaluation sees those scheduled before it.
 */
import type { Kernel } from "../sim/kernel.ts";
import type { AlertConfig } from "./config.ts";
import { ALERT_FIRINGS_KEPT, type AlertFiring, type AlertSummary } from "./results.ts";

export class Alert {
  /** Times it fired, all of them (`firings` keeps the first ALERT_FIRINGS_KEPT). */
  fired = 0;
  readonly firings: AlertFiring[] = [];
  private firing = false;
  /** When the condition started holding (pending or firing); null while it does not hold. */
  private activeSinceS: number | null = null;
  /** When a firing alert's condition stopped holding (for keepFiringFor); null while it holds. */
  private quietSinceS: number | null = null;
  private firingSBefore = 0;
  private lastFiredAtS = 0;
  private readonly evaluateHandler: number;

  constructor(
    private readonly kernel: Kernel,
    readonly config: AlertConfig,
    private readonly read: () => number,
    private readonly endS: number,
  ) {
    this.evaluateHandler = kernel.register(`alert:${config.name}/evaluate`, (k) =>
      this.evaluateAt(k),
    );
  }

  start(): void {
    this.kernel.scheduleAt(0, this.evaluateHandler, 0);
  }

  /** Evaluation number `k`, at k x interval (multiplied, so the times do not drift). */
  private evaluateAt(k: number): void {
    this.evaluate(this.kernel.nowS, this.read());
    const nextS = (k + 1) * this.config.intervalS;
    if (nextS <= this.endS) this.kernel.scheduleAt(nextS, this.evaluateHandler, k + 1);
  }

  /** One evaluation at `nowS` of the metric's `value`. */
  evaluate(nowS: number, value: number): void {
    const { op, threshold, forS, keepFiringForS } = this.config;
    const holds = op === ">" ? value > threshold : value < threshold;
    if (holds) {
      this.quietSinceS = null;
      this.activeSinceS ??= nowS;
      if (!this.firing && nowS - this.activeSinceS >= forS) this.fire(nowS);
      return;
    }
    if (this.firing) {
      this.quietSinceS ??= nowS;
      if (nowS - this.quietSinceS < keepFiringForS) return;
      this.clear(nowS);
    }
    this.activeSinceS = null;
    this.quietSinceS = null;
  }

  private fire(nowS: number): void {
    this.firing = true;
    this.fired++;
    this.lastFiredAtS = nowS;
    if (this.firings.length < ALERT_FIRINGS_KEPT) {
      this.firings.push({ firedAtS: nowS, clearedAtS: null });
    }
  }

  private clear(nowS: number): void {
    this.firing = false;
    this.firingSBefore += nowS - this.lastFiredAtS;
    const last = this.firings.at(-1);
    if (last !== undefined && this.firings.length === this.fired) last.clearedAtS = nowS;
  }

  summary(): AlertSummary {
    const { config } = this;
    const unit = config.metric === "oldestAge" ? "s" : "";
    return {
      rule: `${config.metric} of ${config.subject} ${config.op} ${config.threshold}${unit} for ${config.forS}s`,
      on: config.metric,
      subject: config.subject,
      fired: this.fired,
      firstFiredAtS: this.firings[0]?.firedAtS ?? null,
      firingS: this.firingSBefore + (this.firing ? this.endS - this.lastFiredAtS : 0),
      firings: this.firings.map((firing) => ({ ...firing })),
    };
  }
}
