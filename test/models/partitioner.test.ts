import { describe, expect, it } from "vitest";
import { KeyPartitioner, kafkaPartition, murmur2, toPositive } from "../../models/partitioner.ts";

const ascii = (text: string) => new TextEncoder().encode(text);

describe("murmur2", () => {
  it("matches Kafka's UtilsTest.testMurmur2 vectors", () => {
    // From apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java.
    const cases: [Uint8Array, number][] = [
      [ascii("21"), -973932308],
      [ascii("foobar"), -790332482],
      [ascii("a-little-bit-long-string"), -985981536],
      [ascii("a-little-bit-longer-string"), -1486304829],
      [ascii("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971],
      [Uint8Array.of(0x61, 0x62, 0x63), 479470107],
    ];
    for (const [bytes, expected] of cases) expect(murmur2(bytes)).toBe(expected);
  });

  it("matches librdkafka's Java-compatibility vectors, which cover every tail length", () => {
    // From librdkafka src/rdmurmur2.c unittest_murmur2 (int32 hex values of the Java client's
    // hash). Kafka's own vectors have no 1-byte tail and no empty key; these do.
    const preamble = "PreAmbleWillBeRemoved,ThePrePartThatIs";
    const cases: [string, number][] = [
      ["kafka", 0xd067cf64 | 0], // tail 1
      ["giberish123456789", 0x8f552b0c | 0], // tail 1
      ["1234", 0x9fc97b14 | 0], // tail 0
      ["234", 0xe7c009ca | 0], // tail 3 only
      ["34", 0x873930da | 0], // tail 2 only
      ["4", 0x5a4b5ca1 | 0], // tail 1 only
      [preamble, 0x78424f1c | 0],
      [preamble.slice(1), 0x4a62b377 | 0],
      [preamble.slice(2), 0xe0e4e09e | 0],
      [preamble.slice(3), 0x62b8b43f | 0],
      ["", 0x106e08d9 | 0],
    ];
    for (const [text, expected] of cases) expect(murmur2(ascii(text))).toBe(expected);
  });

  it("returns a signed 32-bit integer, as Java's int", () => {
    for (let i = 0; i < 1000; i++) {
      const h = murmur2(ascii(`k${i}`));
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBe(h | 0);
    }
    expect(murmur2(ascii("foobar"))).toBeLessThan(0);
  });
});

describe("kafkaPartition", () => {
  it("clears the sign bit, not Math.abs: toPositive(n) = n & 0x7fffffff", () => {
    expect(toPositive(5)).toBe(5);
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-790332482)).toBe(1357151166);
  });

  it("is toPositive(murmur2(key)) % partitions (hand-worked for foobar)", () => {
    // murmur2("foobar") = -790332482; & 0x7fffffff = 1357151166; % 50 = 16, % 12 = 6.
    // Math.abs would give 790332482 % 50 = 32 instead.
    expect(kafkaPartition("foobar", 50)).toBe(16);
    expect(kafkaPartition("foobar", 12)).toBe(6);
    expect(kafkaPartition("foobar", 1)).toBe(0);
  });

  it("hashes the UTF-8 bytes of the key, not UTF-16 code units", () => {
    // "é" is U+00E9: UTF-8 bytes C3 A9.
    const viaBytes = toPositive(murmur2(Uint8Array.of(0xc3, 0xa9))) % 1000;
    expect(kafkaPartition("é", 1000)).toBe(viaBytes);
    expect(toPositive(murmur2(Uint8Array.of(0xe9))) % 1000).not.toBe(viaBytes);
  });

  it("rejects a partition count that is not a positive integer", () => {
    expect(() => kafkaPartition("a", 0)).toThrow(RangeError);
    expect(() => kafkaPartition("a", 1.5)).toThrow(RangeError);
    expect(() => new KeyPartitioner(3, -1)).toThrow(RangeError);
  });
});

describe("KeyPartitioner", () => {
  it("caches kafkaPartition of k0, k1, ... by default", () => {
    const partitioner = new KeyPartitioner(500, 7);
    for (let i = 0; i < 500; i++)
      expect(partitioner.partitionOf(i)).toBe(kafkaPartition(`k${i}`, 7));
  });

  it("takes other key names", () => {
    const partitioner = new KeyPartitioner(2, 50, (i) => (i === 0 ? "foobar" : "21"));
    expect(partitioner.partitionOf(0)).toBe(16);
    // murmur2("21") = -973932308; & 0x7fffffff = 1173551340; % 50 = 40.
    expect(partitioner.partitionOf(1)).toBe(40);
  });

  it("throws for a key index it has no entry for", () => {
    const partitioner = new KeyPartitioner(10, 3);
    expect(() => partitioner.partitionOf(10)).toThrow(RangeError);
    expect(() => partitioner.partitionOf(-1)).toThrow(RangeError);
    expect(() => partitioner.partitionOf(1.5)).toThrow(RangeError);
  });

  it("spreads 10,000 keys over 12 partitions about evenly (chi-square, 11 df)", () => {
    const partitions = 12;
    const keys = 10_000;
    const partitioner = new KeyPartitioner(keys, partitions);
    const counts = new Array<number>(partitions).fill(0);
    for (let i = 0; i < keys; i++) counts[partitioner.partitionOf(i)]++;
    const expected = keys / partitions;
    let chiSquare = 0;
    for (const count of counts) chiSquare += (count - expected) ** 2 / expected;
    // 31.26 is the 99.9th percentile of chi-square with 11 degrees of freedom; a skewed hash
    // (say, one that ignored the last byte of k0..k9999) lands far above it.
    expect(chiSquare).toBeLessThan(31.26);
    expect(Math.min(...counts)).toBeGreaterThan(expected * 0.85);
    expect(Math.max(...counts)).toBeLessThan(expected * 1.15);
  });
});
