/**
 * The plan of a seed sweep: which seeds (`--seeds 1..1000`, `1,5,9`, `7`), which variants, which
 * slice of the (seed, variant) runs a shard takes (`--shard 3/8`), and the runs in their order.
 * Pure functions of the command line (and, for `--shard env`, of the batch system's variables).
 */

/** A sweep's seeds, the shard count or the shard index that cannot be used: exit 2. */
export class SweepInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SweepInputError";
  }
}

/**
 * Runs of one sweep (seeds times variants), whole or over all shards. Every run's record is held
 * in memory until the report is written (a few kB each); more is a job for several sweeps.
 */
export const SWEEP_RUNS_MAX = 100_000;
/** Shards of one sweep. */
export const SHARD_COUNT_MAX = 10_000;

/** Seeds are what `--seed` takes: whole numbers a JavaScript number holds exactly. */
const SEED_MAX = Number.MAX_SAFE_INTEGER;

/**
 * The seeds of `--seeds`: comma-separated numbers and inclusive ranges `a..b`, sorted and without
 * repeats. Refused: anything else, a range backwards, more than `countMax` seeds.
 */
export function parseSeeds(spec: string, countMax = SWEEP_RUNS_MAX): number[] {
  const text = spec.trim();
  const seen = new Set<number>();
  if (text === "") throw new SweepInputError(`--seeds: expected seeds like 1..1000, got nothing`);
  for (const rawPart of text.split(",")) {
    const part = rawPart.trim();
    const range = /^(\d+)\s*\.\.\s*(\d+)$/.exec(part);
    const single = /^\d+$/.exec(part);
    if (range === null && single === null) {
      throw new SweepInputError(
        `--seeds ${spec}: expected whole numbers and ranges like 1..1000 or 1,5,9, got '${part}'`,
      );
    }
    const first = seedNumber(range === null ? part : range[1], spec);
    const last = range === null ? first : seedNumber(range[2], spec);
    if (last < first) {
      throw new SweepInputError(`--seeds ${spec}: the range ${part} goes backwards`);
    }
    // Counted before expanding, so `1..1e15` is refused without filling memory.
    if (last - first + 1 + seen.size > countMax) throw tooManySeeds(spec, countMax);
    for (let seed = first; seed <= last; seed++) seen.add(seed);
  }
  return [...seen].sort((a, b) => a - b);
}

function seedNumber(digits: string, spec: string): number {
  const seed = Number(digits);
  if (!Number.isSafeInteger(seed) || seed > SEED_MAX) {
    throw new SweepInputError(`--seeds ${spec}: ${digits} is larger than ${SEED_MAX}`);
  }
  return seed;
}

function tooManySeeds(spec: string, countMax: number): SweepInputError {
  return new SweepInputError(
    `--seeds ${spec}: more than ${countMax} seeds; split the range over several sweeps`,
  );
}

/**
 * The canonical text of a sorted seed list: runs of three or more consecutive seeds as `a..b`,
 * the rest listed (`1..10,12,13,20..29`). Two ways of writing the same seeds give the same text,
 * which is what the shard manifests compare.
 */
export function formatSeeds(seeds: readonly number[]): string {
  const parts: string[] = [];
  let start = 0;
  while (start < seeds.length) {
    let end = start;
    while (end + 1 < seeds.length && seeds[end + 1] === seeds[end] + 1) end++;
    if (end - start >= 2) parts.push(`${seeds[start]}..${seeds[end]}`);
    else for (let i = start; i <= end; i++) parts.push(String(seeds[i]));
    start = end + 1;
  }
  return parts.join(",");
}

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * `--shard i/n` (1-based i), or the shard index taken from a batch system's variables:
 * `env/n` reads JOB_COMPLETION_INDEX (Kubernetes Indexed Job, 0-based) or SLURM_ARRAY_TASK_ID
 * (Slurm job array, counted from SLURM_ARRAY_TASK_MIN); `env` alone also takes n from
 * SLURM_ARRAY_TASK_COUNT.
 */
export function parseShard(spec: string, env: NodeJS.ProcessEnv = {}): Shard {
  const text = spec.trim();
  const fromEnv = /^env(?:\/(\d+))?$/.exec(text);
  if (fromEnv !== null) return shardFromEnv(spec, fromEnv[1], env);
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (match === null) {
    throw new SweepInputError(
      `--shard ${spec}: expected i/n like 3/8 (shard 3 of 8, counted from 1), env/n or env`,
    );
  }
  return checkedShard(Number(match[1]), Number(match[2]), `--shard ${spec}`);
}

function checkedShard(index: number, count: number, shown: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1 || count > SHARD_COUNT_MAX) {
    throw new SweepInputError(`${shown}: the shard count must be 1 to ${SHARD_COUNT_MAX}`);
  }
  if (!Number.isSafeInteger(index) || index < 1 || index > count) {
    throw new SweepInputError(
      `${shown}: the shard index must be 1 to ${count} (shards are counted from 1)`,
    );
  }
  return { index, count };
}

function wholeVariable(env: NodeJS.ProcessEnv, name: string, shown: string): number | null {
  const value = env[name];
  if (value === undefined || value === "") return null;
  if (!/^\d+$/.test(value.trim())) {
    throw new SweepInputError(`${shown}: ${name}=${value} is not a whole number`);
  }
  return Number(value.trim());
}

function shardFromEnv(spec: string, countText: string | undefined, env: NodeJS.ProcessEnv): Shard {
  const shown = `--shard ${spec}`;
  const kubernetes = wholeVariable(env, "JOB_COMPLETION_INDEX", shown);
  const slurm = wholeVariable(env, "SLURM_ARRAY_TASK_ID", shown);
  if (kubernetes !== null && slurm !== null) {
    throw new SweepInputError(
      `${shown}: both JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are set; give --shard i/n`,
    );
  }
  let count = countText === undefined ? null : Number(countText);
  if (kubernetes !== null) {
    if (count === null) {
      throw new SweepInputError(
        `${shown}: a Kubernetes Indexed Job does not say its completions: give --shard env/<completions>`,
      );
    }
    // JOB_COMPLETION_INDEX counts from 0.
    return checkedShard(kubernetes + 1, count, `${shown} (JOB_COMPLETION_INDEX=${kubernetes})`);
  }
  if (slurm !== null) {
    const min = wholeVariable(env, "SLURM_ARRAY_TASK_MIN", shown) ?? 0;
    count ??= wholeVariable(env, "SLURM_ARRAY_TASK_COUNT", shown);
    if (count === null) {
      throw new SweepInputError(`${shown}: SLURM_ARRAY_TASK_COUNT is not set: give --shard env/n`);
    }
    return checkedShard(slurm - min + 1, count, `${shown} (SLURM_ARRAY_TASK_ID=${slurm})`);
  }
  throw new SweepInputError(
    `${shown}: neither JOB_COMPLETION_INDEX (Kubernetes) nor SLURM_ARRAY_TASK_ID (Slurm) is set`,
  );
}

/** One (seed, variant) run; `order` is its place in the whole sweep's output. */
export interface SweepJob {
  /** seedIndex * variantCount + variantIndex: the order of runs.jsonl. */
  order: number;
  seed: number;
  /** Index into the sweep's chosen variants. */
  variantIndex: number;
}

/**
 * The runs of a sweep in output order (by seed, then variant), or of one shard: the seeds whose
 * index in the sorted list is `index - 1` modulo `count`, every variant of each. Whole seeds go
 * to one shard so a shard's runs share its seeds' arrivals (common random numbers) in one place.
 */
export function planJobs(
  seeds: readonly number[],
  variantCount: number,
  shard: Shard | null = null,
): SweepJob[] {
  const jobs: SweepJob[] = [];
  for (const [seedIndex, seed] of seeds.entries()) {
    if (shard !== null && seedIndex % shard.count !== shard.index - 1) continue;
    for (let variantIndex = 0; variantIndex < variantCount; variantIndex++) {
      jobs.push({ order: seedIndex * variantCount + variantIndex, seed, variantIndex });
    }
  }
  return jobs;
}
