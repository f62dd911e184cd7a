/**
 * JSON numbers read straight from bytes: how the two readers of k6's raw results (the analysis's
 * hot loop, lib/analysis/accumulator.ts, and InfluxDB's live path, lib/influx/live.ts) read a
 * sample's value. Pure, but Node-side (Buffer): in the contract rather than lib/shared, which the
 * k6 side type-checks without Node's types.
 */

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/**
 * A JSON number from bytes, rounded exactly as JSON.parse rounds it; NaN for anything that is
 * not a JSON number (JSON.parse would reject the line). Fast path: at most 15 significant
 * digits and no exponent, so the digits form an exact integer m and the result m / 10^k is one
 * correctly rounded division. Anything else goes through Number(), after the grammar check.
 */
export function parseNumber(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (buf[i] === 45 /* - */) {
    neg = true;
    i++;
  }
  const first = i;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < e; i++) {
    const c = (buf[i] as number) - 48;
    if (c >= 0 && c <= 9) {
      m = m * 10 + c;
      if (m !== 0) digits++;
      if (frac >= 0) frac++;
    } else if (c === -2 /* . */ && frac < 0) {
      frac = 0;
    } else {
      return slowNumber(buf, s, e);
    }
  }
  // JSON: a digit before the point and after it, and no leading zero.
  if (i === first || frac === 0 || buf[first] === 46 || (buf[first] === 48 && i > first + 1 && buf[first + 1] !== 46)) return Number.NaN;
  if (digits > 15) return slowNumber(buf, s, e);
  const v = frac > 0 ? m / (POW10[frac] as number) : m;
  return neg ? -v : v;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function slowNumber(buf: Uint8Array, s: number, e: number): number {
  const text = Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('latin1');
  return JSON_NUMBER.test(text) ? Number(text) : Number.NaN;
}
