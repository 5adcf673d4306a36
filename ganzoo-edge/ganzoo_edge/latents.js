// Seed to latent for the browser: the twin of latents.py beside this file, whose docstring is
// the specification (Philox4x64-10 keyed by seed and index, Box-Muller, float32, truncation by
// redrawing from the same stream). tests/test_latents.py runs both and holds them equal.
// An ES module with no dependencies: the exported web page imports it, and so can Node.js.

const MASK = (1n << 64n) - 1n;
const M0 = 0xD2E7470EE14C6C93n; // Philox4x64 multipliers and Weyl key increments (Salmon et
const M1 = 0xCA5A826395121157n; // al. 2011; the constants of Random123 and numpy)
const W0 = 0x9E3779B97F4A7C15n;
const W1 = 0xBB67AE8584CAA73Bn;
const ROUNDS = 10;
const TWO_53 = 2 ** 53;
export const MAX_SEED = MASK;

function philoxBlock(counter, key) {
  let [c0, c1, c2, c3] = counter;
  let [k0, k1] = key;
  for (let round = 0; round < ROUNDS; round++) {
    if (round > 0) {
      k0 = (k0 + W0) & MASK;
      k1 = (k1 + W1) & MASK;
    }
    const p0 = M0 * c0;
    const p1 = M1 * c2;
    [c0, c1, c2, c3] = [((p1 >> 64n) ^ c1 ^ k0) & MASK, p1 & MASK,
                        ((p0 >> 64n) ^ c3 ^ k1) & MASK, p0 & MASK];
  }
  return [c0, c1, c2, c3];
}

function checked(name, value) {
  const big = BigInt(value);
  if (big < 0n || big > MASK) {
    throw new RangeError(`${name} must be an integer in [0, 2**64). Received: ${name}=${value}.`);
  }
  return big;
}

/** The normal entries of latent row `index` of `seed`, in order. */
export class LatentStream {
  constructor(seed, index) {
    this.key = [checked("seed", seed), checked("index", index)];
    this.counter = [0n, 0n, 0n, 0n];
    this.words = [];
    this.spare = [];
  }

  nextWord() {
    if (this.words.length === 0) {
      // numpy's order: increment the 256-bit counter (with carry), then use its block.
      for (let i = 0; i < 4; i++) {
        this.counter[i] = (this.counter[i] + 1n) & MASK;
        if (this.counter[i] !== 0n) break;
      }
      this.words = philoxBlock(this.counter, this.key);
    }
    return this.words.shift();
  }

  /** The next `count` entries, float32 values as numbers. */
  take(count) {
    const entries = this.spare;
    this.spare = [];
    while (entries.length < count) {
      const u1 = (Number(this.nextWord() >> 11n) + 0.5) / TWO_53;
      const u2 = Number(this.nextWord() >> 11n) / TWO_53;
      const radius = Math.sqrt(-2.0 * Math.log(u1));
      const angle = 2.0 * Math.PI * u2;
      entries.push(Math.fround(radius * Math.cos(angle)), Math.fround(radius * Math.sin(angle)));
    }
    this.spare = entries.slice(count);
    return entries.slice(0, count);
  }

  /** The latent: the first `latentDim` entries, with entries beyond `truncation` in magnitude
   * replaced by the next ones, in entry order, until none is left. */
  row(latentDim, truncation = null) {
    const z = this.take(latentDim);
    if (truncation === null || truncation === undefined) return z;
    let outside = z.flatMap((value, i) => (Math.abs(value) > truncation ? [i] : []));
    while (outside.length) {
      const fresh = this.take(outside.length);
      outside.forEach((i, j) => { z[i] = fresh[j]; });
      outside = outside.filter((i) => Math.abs(z[i]) > truncation);
    }
    return z;
  }
}

/** Float32 latents, row-major [indices.length, latentDim]: row i is LatentStream(seed, i).row. */
export function latents(indices, latentDim, seed, truncation = null) {
  const rows = new Float32Array(indices.length * latentDim);
  indices.forEach((index, row) => {
    rows.set(new LatentStream(seed, index).row(latentDim, truncation), row * latentDim);
  });
  return rows;
}
