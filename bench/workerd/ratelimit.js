// The Workers Rate Limiting binding for the bench on bare workerd, which has none of
// its own (wrangler's local one lives in its proxy). Same call shape as the real
// binding — `limit({key})` resolving to `{success}` — counting per key and period like
// it, with a limit no bench run reaches, so the limiter is called and costs what a
// lookup costs but never decides a measurement.
const PERIOD_MS = 60_000;
const LIMIT = 100_000_000;

export default function makeLimiter() {
  const counts = new Map();
  let windowStart = Date.now();
  return {
    async limit({ key }) {
      const now = Date.now();
      if (now - windowStart >= PERIOD_MS) {
        counts.clear();
        windowStart = now;
      }
      const used = (counts.get(key) ?? 0) + 1;
      counts.set(key, used);
      return { success: used <= LIMIT };
    },
  };
}
