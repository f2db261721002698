/**
 * A loss cause given when a copy leaves while another remains: the group committed past a
 * record and crashed (lost for it) while the producer still awaited the record's
 * acknowledgement, whose arrival then removes the last copy without a cause.
 */
import { describe, expect, it } from "vitest";
import { FateLedger } from "../../models/ledger.ts";
import { simulate } from "../../models/simulation.ts";
import { loadScenarioText } from "../../scenarios/index.ts";

describe("loss causes of copies that left before the last one", () => {
  it("the last copy leaving without a cause takes the cause given before it", () => {
    const ledger = new FateLedger({ nowS: 0 });
    ledger.admit(0); // the producer's copy
    ledger.addCopy(0); // the group's copy of the appended record
    ledger.removeCopy(0, "offset committed before processing, then crashed");
    ledger.removeCopy(0, null); // the producer's acknowledgement
    expect(ledger.lost).toBe(1);
    expect(ledger.lostByCause.get("offset committed before processing, then crashed")).toBe(1);
  });

  it("but not once the message has a fate, and never without any cause", () => {
    const ledger = new FateLedger({ nowS: 0 });
    ledger.admit(1);
    ledger.addCopy(1);
    ledger.removeCopy(1, "lost on link a->b");
    ledger.recordProcessed(1);
    ledger.removeCopy(1, null);
    expect(ledger.lost).toBe(0);
    ledger.admit(2);
    expect(() => ledger.removeCopy(2, null)).toThrow(/without a fate/);
  });

  it("a replicated topic with acks=all, at-most-once commits and a crash of the group conserves", () => {
    // Found by stress-testing the invariants: seed 35 stopped with "last copy of message 669
    // removed without a fate" before the ledger remembered such causes.
    const loaded = loadScenarioText(
      `
name: chaos
duration: 3m
drain: 1m
topics: [{ name: t, partitions: 6, replicationFactor: 3, brokers: 3, replicationLag: 20ms }]
producers: [{ name: p, rate: 200/s, keys: { count: 100 }, acks: all, retries: 100 }]
consumers:
  - { name: c, count: 4, processing: { exponential: 5ms }, commit: before-processing, maxPollRecords: 20 }
links:
  - { from: p, to: t, latency: { exponential: 5ms }, loss: 1%, duplicate: 1% }
  - { from: t, to: p, latency: { exponential: 5ms }, loss: 1% }
faults:
  - { at: 60s, crashBroker: 0, for: 20s }
  - { at: 100s, crash: c, for: 8s }
`,
      "chaos.yaml",
    );
    for (const seed of [35, 36, 61, 79]) {
      const s = simulate(loaded.variants[0].config, { seed, variantName: "base" }).summary;
      expect(s.fates.conserved).toBe(true);
      const f = s.fates;
      expect(f.processed + f.deadLettered + f.dropped + f.pending + f.lost).toBe(f.produced);
    }
  });
});
