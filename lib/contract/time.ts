/**
 * Timestamps of k6 samples, as both readers of k6's raw results (the analysis and InfluxDB's live
 * path) read them. Pure, but Node-side (Buffer): in the contract rather than lib/shared, which the
 * k6 side type-checks without Node's types.
 */

/**
 * RFC 3339 times to epoch ms, to the microsecond: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
 *
 * k6 writes its host's local time with nanoseconds (Go's RFC3339Nano: the fraction's trailing
 * zeros dropped): `2026-11-22T10:00:00.123456789Z` in UTC, `2026-12-02T11:00:00.123456789+01:00`
 * under `TZ=Europe/Berlin`. Every offset is read the same way, so one instant gives the same
 * number whatever the host's zone, bit for bit: the whole milliseconds are an exact integer
 * (the minute prefix as UTC, minus the offset, plus the seconds), then the fraction is added
 * once as whole microseconds / 1000. Digits past the sixth are truncated, not rounded: a time
 * never moves into the next millisecond or second (at epoch magnitudes a double cannot tell
 * 999.9999999 ms from 1000 ms, but it holds 999.999 ms).
 *
 * Fast: consecutive samples share the date-hour-minute prefix, whose value is cached, so a
 * line costs a 16-byte compare and some digits, never a Date.
 */
export class IsoTime {
  private readonly prefix = new Uint8Array(16);
  private hasPrefix = false;
  /** The cached prefix `YYYY-MM-DDTHH:MM` read as UTC, epoch ms. */
  private prefixMs = 0;
  private scratch = Buffer.alloc(64);

  /** buf[s, e) as RFC 3339, without making a string; NaN when it is not one. */
  fromBytes(buf: Uint8Array, s: number, e: number): number {
    // The shortest is `YYYY-MM-DDTHH:MM:SSZ` (20), the longest carries nine digits and an offset.
    if (e - s < 20 || e - s > 40 || buf[s + 16] !== 58 /* : */) return Number.NaN;
    const pb = this.prefix;
    let same = this.hasPrefix;
    if (same) {
      for (let k = 15; k >= 0; k--) {
        // From the end: the minute changes first.
        if (buf[s + k] !== pb[k]) {
          same = false;
          break;
        }
      }
    }
    if (!same) {
      const ms = prefixMs(buf, s);
      if (Number.isNaN(ms)) return Number.NaN;
      for (let k = 0; k < 16; k++) pb[k] = buf[s + k] as number;
      this.hasPrefix = true;
      this.prefixMs = ms;
    }
    const s1 = (buf[s + 17] as number) - 48;
    const s2 = (buf[s + 18] as number) - 48;
    // 60: a leap second, as Date.parse would not take it; k6 (Go) never writes one.
    if (s1 < 0 || s1 > 5 || s2 < 0 || s2 > 9) return Number.NaN;
    let p = s + 19;
    let us = 0;
    if (buf[p] === 46 /* . */) {
      p++;
      let n = 0;
      for (; p < e; p++) {
        const c = (buf[p] as number) - 48;
        if (c < 0 || c > 9) break;
        if (n < 6) us = us * 10 + c;
        n++;
      }
      if (n === 0) return Number.NaN;
      for (; n < 6; n++) us *= 10;
    }
    // The zone: Z, or ±hh:mm.
    let offsetMs = 0;
    const z = buf[p];
    if (z === 90 /* Z */ || z === 122 /* z */) {
      if (p + 1 !== e) return Number.NaN;
    } else if (z === 43 /* + */ || z === 45 /* - */) {
      if (p + 6 !== e || buf[p + 3] !== 58) return Number.NaN;
      const h1 = (buf[p + 1] as number) - 48;
      const h2 = (buf[p + 2] as number) - 48;
      const m1 = (buf[p + 4] as number) - 48;
      const m2 = (buf[p + 5] as number) - 48;
      if (h1 < 0 || h1 > 2 || h2 < 0 || h2 > 9 || m1 < 0 || m1 > 5 || m2 < 0 || m2 > 9) return Number.NaN;
      offsetMs = ((h1 * 10 + h2) * 60 + m1 * 10 + m2) * 60_000;
      if (z === 45) offsetMs = -offsetMs;
    } else {
      return Number.NaN;
    }
    const whole = this.prefixMs - offsetMs + (s1 * 10 + s2) * 1000;
    return us === 0 ? whole : whole + us / 1000;
  }

  /** The same from a string; anything that is not RFC 3339 goes to Date.parse. */
  ms(t: string): number {
    if (t.length > this.scratch.length) return Date.parse(t);
    const n = this.scratch.write(t, 0, 'latin1');
    const ms = n === t.length ? this.fromBytes(this.scratch, 0, n) : Number.NaN;
    return Number.isNaN(ms) ? Date.parse(t) : ms;
  }
}

/** `YYYY-MM-DDTHH:MM` at buf[s] as UTC epoch ms; NaN when it is not one. */
function prefixMs(buf: Uint8Array, s: number): number {
  const d = (k: number) => (buf[s + k] as number) - 48;
  for (const k of [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15]) if (d(k) < 0 || d(k) > 9) return Number.NaN;
  const t = buf[s + 10];
  if (buf[s + 4] !== 45 || buf[s + 7] !== 45 || buf[s + 13] !== 58 || (t !== 84 /* T */ && t !== 116 /* t */ && t !== 32)) {
    return Number.NaN;
  }
  const year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
  const month = d(5) * 10 + d(6);
  const day = d(8) * 10 + d(9);
  const hour = d(11) * 10 + d(12);
  const minute = d(14) * 10 + d(15);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59) return Number.NaN;
  // Not Date.UTC(year, …): it reads years 0–99 as 1900–1999.
  const at = new Date(Date.UTC(2000, 0, 1, hour, minute));
  at.setUTCFullYear(year, month - 1, day);
  return at.getTime();
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
