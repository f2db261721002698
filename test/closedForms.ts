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
