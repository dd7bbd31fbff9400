/** The IMF-fixdate for the Date header (RFC 9110 §5.6.7), recomputed at most once a second. */
let cachedSecond = -1;
let cachedValue = '';

export function httpDate(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedValue = new Date(second * 1000).toUTCString();
  }
  return cachedValue;
}
