// --shard K/N: a deterministic partition of a fuzz campaign's runs, or of the main job's
// campaigns, so that N machines (a CI matrix, a Kubernetes Indexed Job) each do one part; and
// what a CI system's environment says K and N are when --shard is not given.
// Shard K of N (1-based) takes the K-th of N contiguous blocks: with contiguous blocks the
// lowest failing run of the whole campaign is the lowest of the first shard that found one,
// and the steps before it are those of the shards before that one, so `procns merge` can give
// back exactly what one unsharded run gives.

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** The largest N of --shard K/N. */
export const MAX_SHARDS = 10000;

/**
 * The CI systems whose environment names a shard: the variable holding its index (counted
 * from `base`) and the one holding the count. A Kubernetes Indexed Job names only the index;
 * the count is --shard-count, or PROCNS_SHARD_COUNT set in the Job's manifest.
 */
export const SHARD_ENVIRONMENTS: readonly { system: string; index: string; count: string; base: 0 | 1 }[] = Object.freeze([
  { system: 'GitLab CI (parallel:)', index: 'CI_NODE_INDEX', count: 'CI_NODE_TOTAL', base: 1 },
  { system: 'Buildkite (parallelism:)', index: 'BUILDKITE_PARALLEL_JOB', count: 'BUILDKITE_PARALLEL_JOB_COUNT', base: 0 },
  { system: 'a Kubernetes Indexed Job', index: 'JOB_COMPLETION_INDEX', count: 'PROCNS_SHARD_COUNT', base: 0 },
]);

const whole = (s: string | undefined): number | null => (s !== undefined && /^\d{1,9}$/.test(s) ? Number(s) : null);

/** Shard `index` (counted from `base`) of `count`, or what is wrong with it, after `what`. */
function checked(index: number | null, count: number | null, base: 0 | 1, what: string): Shard | string {
  if (count === null || count < 1 || count > MAX_SHARDS) return `${what}: the shard count must be a whole number from 1 to ${MAX_SHARDS}`;
  if (index === null || index < base || index > count - 1 + base) return `${what}: the shard must be a whole number from ${base} to ${count - 1 + base}`;
  return { index: index + 1 - base, count };
}

/** --shard K/N. */
export function parseShard(text: string): Shard | string {
  const m = /^(\d{1,9})\/(\d{1,9})$/.exec(text);
  if (!m) return `--shard takes K/N (shard K of N, from 1), not ${JSON.stringify(text)}`;
  return checked(Number(m[1]), Number(m[2]), 1, `--shard ${text}`);
}

/**
 * The shard to run: --shard when given, else the first CI system's variables that are set (a
 * usage problem, as a string, when they are half set or out of range), else none.
 */
export function shardOf(flag: string | undefined, shardCount: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard | null | string {
  if (flag !== undefined) return parseShard(flag);
  const k8s = SHARD_ENVIRONMENTS[SHARD_ENVIRONMENTS.length - 1];
  if (shardCount !== undefined && env[k8s.index] === undefined) return `--shard-count is the count of ${k8s.system}'s shards, but ${k8s.index} is not set`;
  for (const e of SHARD_ENVIRONMENTS) {
    const index = env[e.index];
    if (index === undefined || index === '') continue;
    const count = e === k8s ? shardCount ?? env[e.count] : env[e.count];
    const named = `${e.index}=${index} (${e.system}, counted from ${e.base})`;
    if (count === undefined || count === '') return `${named} needs the shard count: ${e === k8s ? `--shard-count N or ${e.count}` : e.count}`;
    return checked(whole(index), whole(count), e.base, `${named} of ${count}`);
  }
  return null;
}

/** The items of `total` (runs or campaigns) that shard s takes: first..end-1. */
export function shardRange(total: number, s: Shard): { first: number; end: number } {
  return { first: Math.floor(((s.index - 1) * total) / s.count), end: Math.floor((s.index * total) / s.count) };
}
