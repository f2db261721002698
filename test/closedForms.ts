/** Closed-form queueing results that tests compare the simulation against. */

/** Erlang C: probability that an arrival waits, for c servers and offered load a = lambda/mu < c. */
export function erlangC(c: number, a: number): number {
  let term = 1;
  let sum = 1; // k = 0
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const last = ((term * a) / c) * (c / (c - a)); // a^c / c! * c / (c - a)
  return last / (sum + last);
}

/** Mean wait in queue of an M/M/c queue: Erlang C / (c mu - lambda). */
export function mmcMeanWaitS(c: number, lambdaPerS: number, muPerS: number): number {
  return erlangC(c, lambdaPerS / muPerS) / (c * muPerS - lambdaPerS);
}

/**
 * M/M/1/K: the probability that an arrival finds the system full (K messages: one in service,
 * K - 1 waiting), by PASTA the fraction of arrivals lost: (1 - rho) rho^K / (1 - rho^(K+1)),
 * for rho = lambda / mu != 1 (Kleinrock, Queueing Systems vol. 1, section 3.6).
 */
export function mm1kBlockingProbability(rho: number, k: number): number {
  return ((1 - rho) * rho ** k) / (1 - rho ** (k + 1));
}
