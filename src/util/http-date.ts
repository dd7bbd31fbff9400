/**
 * `format(second)` remembered for the last second asked: a date written into a header changes once
 * a second, not once a request.
 */
export function oncePerSecond(format: (second: number) => string): (ms: number) => string {
  let cachedSecond = Number.NaN;
  let cachedValue = '';
  return (ms) => {
    const second = Math.floor(ms / 1000);
    if (second !== cachedSecond) {
      cachedSecond = second;
      cachedValue = format(second);
    }
    return cachedValue;
  };
}

const imfFixdate = oncePerSecond((second) => new Date(second * 1000).toUTCString());

/** The IMF-fixdate for the Date header (RFC 9110 §5.6.7), recomputed at most once a second. */
export function httpDate(now: number = Date.now()): string {
  return imfFixdate(now);
}
