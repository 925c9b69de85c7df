// The Workers Rate Limiting binding for the bench on bare workerd, which has none of
// its own (wrangler's local one lives in its proxy). Same call shape as the real
// binding — `limit({key})` resolving to `{success}` — counting per key and period like
// it, with a limit no bench run reaches, so the limiter is called and costs what a
// lookup costs but never decides a measurement. The class is named `Ratelimit` like the
// runtime's own: workers-rs takes a binding for a rate limiter only by that name (and
// fails open, never calling it, otherwise).
const PERIOD_MS = 60_000;
const LIMIT = 100_000_000;

class Ratelimit {
  #counts = new Map();
  #windowStart = Date.now();

  async limit({ key }) {
    const now = Date.now();
    if (now - this.#windowStart >= PERIOD_MS) {
      this.#counts.clear();
      this.#windowStart = now;
    }
    const used = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, used);
    return { success: used <= LIMIT };
  }
}

export default function makeLimiter() {
  return new Ratelimit();
}
