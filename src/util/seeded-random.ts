/**
 * mulberry32 (Tommy Ettinger, public domain): a small, fast, seedable PRNG in [0, 1).
 * Not for secrets: for sampling pairs, generating synthetic data and test cases, where the same
 * seed must give the same numbers on every machine and Node version.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
