/** Timestamps of k6 samples. */

/**
 * RFC 3339 time to epoch ms (sub-ms digits kept as a fraction). k6 writes UTC times with
 * nanoseconds, e.g. `2026-11-22T10:00:00.123456789Z`; the fast path reuses the parsed
 * date-and-minute prefix, which consecutive samples share. Anything else goes to Date.parse.
 */
export class IsoTime {
  private prefix = '';
  private baseMs = 0;
  private readonly prefixBytes = new Uint8Array(16);
  private hasPrefixBytes = false;
  private bytesBaseMs = 0;

  /**
   * The same from bytes (buf[s, e)), without making a string: the fast path only (UTC, "Z",
   * at most nanoseconds); NaN for anything else, and the caller falls back to a full parse.
   */
  fromBytes(buf: Uint8Array, s: number, e: number): number {
    const len = e - s;
    if (len < 20 || len > 30 || buf[e - 1] !== 90 || buf[s + 16] !== 58) return Number.NaN;
    const pb = this.prefixBytes;
    let same = this.hasPrefixBytes;
    if (same) {
      for (let k = 0; k < 16; k++) {
        if (buf[s + k] !== pb[k]) {
          same = false;
          break;
        }
      }
    }
    if (!same) {
      let prefix = '';
      for (let k = 0; k < 16; k++) prefix += String.fromCharCode(buf[s + k] as number);
      const base = Date.parse(`${prefix}:00Z`);
      if (Number.isNaN(base)) return Number.NaN;
      for (let k = 0; k < 16; k++) pb[k] = buf[s + k] as number;
      this.hasPrefixBytes = true;
      this.bytesBaseMs = base;
    }
    const s1 = (buf[s + 17] as number) - 48;
    const s2 = (buf[s + 18] as number) - 48;
    if (s1 < 0 || s1 > 6 || s2 < 0 || s2 > 9) return Number.NaN;
    let ms = this.bytesBaseMs + (s1 * 10 + s2) * 1000;
    const c19 = buf[s + 19];
    if (c19 === 46) {
      // Up to nine fraction digits: an exact integer of nanoseconds, then one division.
      let ns = 0;
      let n = 0;
      for (let k = s + 20; k < e - 1; k++) {
        const c = (buf[k] as number) - 48;
        if (c < 0 || c > 9) return Number.NaN;
        ns = ns * 10 + c;
        n++;
      }
      while (n < 9) {
        ns *= 10;
        n++;
      }
      ms += ns / 1e6;
    } else if (c19 !== 90) {
      return Number.NaN;
    }
    return ms;
  }

  ms(t: string): number {
    if (t.length >= 20 && t.charCodeAt(t.length - 1) === 90 /* Z */ && t.charCodeAt(16) === 58 /* : */) {
      if (this.prefix === '' || !t.startsWith(this.prefix)) {
        const prefix = t.slice(0, 16);
        const base = Date.parse(`${prefix}:00Z`);
        if (Number.isNaN(base)) return Date.parse(t);
        this.prefix = prefix;
        this.baseMs = base;
      }
      const s1 = t.charCodeAt(17) - 48;
      const s2 = t.charCodeAt(18) - 48;
      if (s1 < 0 || s1 > 6 || s2 < 0 || s2 > 9) return Date.parse(t);
      let ms = this.baseMs + (s1 * 10 + s2) * 1000;
      const c19 = t.charCodeAt(19);
      if (c19 === 46 /* . */) {
        let ns = 0;
        let n = 0;
        for (let k = 20; k < t.length - 1; k++) {
          const c = t.charCodeAt(k) - 48;
          if (c < 0 || c > 9 || n >= 9) return Date.parse(t);
          ns = ns * 10 + c;
          n++;
        }
        while (n < 9) {
          ns *= 10;
          n++;
        }
        ms += ns / 1e6;
      } else if (c19 !== 90) {
        return Date.parse(t);
      }
      return ms;
    }
    return Date.parse(t);
  }
}
