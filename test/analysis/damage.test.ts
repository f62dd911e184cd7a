/**
 * Damaged raw input: a torn line of any metric is damaged (never a good point), and the
 * analysis names where the damage starts, for torn lines, a torn gzip and bit flips in a
 * gzip; every sample before the damage is analysed and the run is kept.
 *
 * The expected figures are worked out independently of lines.ts: from the lines as written,
 * and from zlib's one-shot API (inflateRawSync with a sync flush, which hands over everything
 * a prefix of the compressed bytes decodes to).
 */
import { constants, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeRun } from '../../lib/analysis/analyze.ts';
import { AnalysisSchema, type Analysis } from '../../lib/contract/analysis.ts';
import { formatSummary } from '../../lib/analysis/summary.ts';
import { benchOptions, rng } from './generate.ts';
import { generated, scratchDirs, writeRunDir } from './helpers.ts';

const dir = scratchDirs('loadgate-damage-');
const { lines, plan } = generated(benchOptions(0.02, 3));
const DURATION = '{"metric":"http_req_duration"';
const requestsIn = (ls: readonly string[]) => ls.filter((l) => l.startsWith(DURATION)).length;
const metricOf = (l: string) => /^\{"metric":"([^"]+)"/.exec(l)?.[1];

async function analyse(raw: Record<string, string[] | Buffer>): Promise<Analysis> {
  const d = await dir();
  await writeRunDir(d, { plan, raw });
  const a = await analyzeRun(d);
  expect(() => AnalysisSchema.parse(a)).not.toThrow();
  return a;
}

/** The figures that must not change when damaged lines are added: everything but the input section. */
const figures = (a: Analysis) => ({ ...a, generatedAt: '', input: undefined });

let clean: Analysis;
beforeAll(async () => {
  clean = await analyse({ 'raw.ndjson.gz': lines });
}, 60_000);

describe('torn lines', () => {
  it('a clean file has no damage', () => {
    expect(clean.input.damaged).toEqual({ lines: 0, files: [] });
    expect(clean.input.truncated).toBe(false);
  });

  it('a torn line of every metric kind is damaged, counted and warned about; the figures are those without it', async () => {
    // For each metric in the file, one of its lines torn at several places (in the frame, in
    // the time, in the value, in the tags, one byte short), each on a line of its own.
    const metrics = [...new Set(lines.map(metricOf).filter((m) => m !== undefined))];
    expect(metrics).toEqual(expect.arrayContaining(['http_reqs', 'http_req_duration', 'vus', 'iterations', 'data_sent', 'checks']));
    const torn: string[] = [];
    for (const m of metrics) {
      const l = lines.find((x) => metricOf(x) === m) as string;
      const cuts = [l.indexOf('"da') + 3, l.indexOf('"time"') + 15, l.indexOf('"value"') + 9, l.indexOf('"tags"') + 12, l.length - 1];
      for (const c of new Set(cuts.map((x) => Math.min(x, l.length - 1)))) torn.push(l.slice(0, c));
    }
    // Also an empty line, and a torn line that the next one ran into (no newline between them).
    const l0 = lines.find((x) => metricOf(x) === 'http_reqs') as string;
    const l1 = lines.find((x) => metricOf(x) === 'vus') as string;
    torn.push('', `${l0.slice(0, 40)}${l1}`);
    const at = 2262;
    const damaged = [...lines.slice(0, at), ...torn, ...lines.slice(at)];
    const a = await analyse({ 'raw.ndjson.gz': damaged });
    expect(a.input.damaged).toEqual({
      lines: torn.length,
      files: [{ file: 'raw.ndjson.gz', lines: torn.length, firstLine: at + 1, linesBefore: at, streamError: null }],
    });
    expect(a.input.points).toBe(clean.input.points);
    expect(a.input.skipped.badJson).toBe(clean.input.skipped.badJson + torn.length);
    expect(figures(a)).toEqual(figures(clean));
    expect(formatSummary(a)).toContain(
      `input: ${clean.input.points} points, ${torn.length} damaged line(s) (from line 2263 of raw.ndjson.gz)`,
    );
    expect(a.input.warnings.join('\n')).toContain(
      `raw.ndjson.gz: ${torn.length} damaged line(s) (torn, cut short or garbled: not a whole JSON object) skipped, the first at line 2,263; the 2,262 lines before it were read whole`,
    );
  });

  it('a torn last line (no newline) is damaged too, and named', async () => {
    const last = lines.at(-1) as string;
    const text = `${lines.join('\n')}\n${last.slice(0, last.length - 2)}`;
    const a = await analyse({ 'raw.ndjson': Buffer.from(text) });
    expect(a.input.skipped.tornLastLine).toBe(1);
    expect(a.input.damaged?.files).toEqual([
      { file: 'raw.ndjson', lines: 1, firstLine: lines.length + 1, linesBefore: lines.length, streamError: null },
    ]);
    expect(figures(a)).toEqual(figures(clean));
  });
});

describe('a damaged gzip stream', () => {
  const text = Buffer.from(`${lines.join('\n')}\n`);
  const gz = gzipSync(text);
  /** gzip's fixed 10-byte header (no name, no extra field: gzipSync writes none). */
  const body = (b: Buffer) => b.subarray(10);

  /** Everything zlib decodes from the first `n` compressed bytes (a sync flush: no error at the cut). */
  const decodePrefix = (b: Buffer, n: number): Buffer =>
    inflateRawSync(body(b).subarray(0, n - 10), { finishFlush: constants.Z_SYNC_FLUSH });

  it('cut short: every whole line before the cut is analysed; the damage is the torn line at the cut', async () => {
    const cut = gz.subarray(0, Math.floor(gz.length * 0.6));
    const decoded = decodePrefix(cut, cut.length).toString('latin1');
    const whole = decoded.slice(0, decoded.lastIndexOf('\n')).split('\n');
    const a = await analyse({ 'raw.ndjson.gz': cut });
    expect(a.input.truncated).toBe(true);
    expect(a.totals.requests).toBe(requestsIn(whole));
    expect(a.input.damaged?.files).toEqual([
      { file: 'raw.ndjson.gz', lines: 1, firstLine: whole.length + 1, linesBefore: whole.length, streamError: 'unexpected end of file' },
    ]);
    expect(a.input.warnings.join('\n')).toContain(
      `raw.ndjson.gz: the gzip stream is cut short or corrupt (unexpected end of file): the damage starts at line ${(whole.length + 1).toLocaleString('en-US')} (of the decompressed stream); the ${whole.length.toLocaleString('en-US')} lines before it were read whole and analysed; 1 damaged line(s) skipped`,
    );
  });

  /** A copy of gz with one bit flipped at `pos`, and zlib's error for it (null when it decodes clean). */
  function flipped(pos: number, bit: number): { b: Buffer; error: string | null } {
    const b = Buffer.from(gz);
    b[pos] = (b[pos] as number) ^ bit;
    try {
      gunzipSync(b);
      return { b, error: null };
    } catch (err) {
      return { b, error: (err as Error).message };
    }
  }

  /** Bit flips in the middle of the compressed stream, found deterministically, of the kind `want` accepts. */
  function flipsWhere(want: (error: string) => boolean, count: number): Buffer[] {
    const r = rng(99);
    const out: Buffer[] = [];
    for (let k = 0; k < 20_000 && out.length < count; k++) {
      const pos = Math.floor(gz.length * (0.2 + 0.6 * r()));
      const f = flipped(pos, 1 << Math.floor(r() * 8));
      if (f.error !== null && want(f.error)) out.push(f.b);
    }
    expect(out.length).toBe(count);
    return out;
  }

  it('bit flips that still decode (the checksum fails at the end): the first line that is not whole is named; none before it is lost', async () => {
    for (const b of flipsWhere((e) => e === 'incorrect data check', 3)) {
      // Decoded without the checksum: the lines as they come out of the damaged stream.
      const out = inflateRawSync(body(b)).toString('latin1').split('\n');
      if (out.at(-1) === '') out.pop();
      const firstDiff = out.findIndex((l, i) => l !== lines[i]);
      const firstBad = out.findIndex((l) => !isWholeObject(l));
      const a = await analyse({ 'raw.ndjson.gz': b });
      expect(a.input.truncated).toBe(true);
      const f = a.input.damaged?.files[0];
      expect(f?.streamError).toBe('incorrect data check');
      expect(f?.lines).toBe(out.filter((l) => !isWholeObject(l)).length);
      expect(f?.firstLine).toBe(firstBad === -1 ? null : firstBad + 1);
      // Every request before the first altered line is in the figures.
      expect(a.totals.requests).toBeGreaterThanOrEqual(requestsIn(lines.slice(0, firstDiff)));
      expect(a.input.warnings.join('\n')).toMatch(/raw\.ndjson\.gz: the gzip stream is cut short or corrupt \(incorrect data check\)/);
    }
  });

  it('bit flips zlib stops at (a broken block): every whole line zlib decoded before it is analysed, none lost', async () => {
    for (const b of flipsWhere((e) => e !== 'incorrect data check' && e !== 'incorrect length check', 2)) {
      // The most the compressed bytes decode to: the longest prefix that decodes without an error.
      let lo = 10;
      let hi = b.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        try {
          decodePrefix(b, mid);
          lo = mid;
        } catch {
          hi = mid - 1;
        }
      }
      const decoded = decodePrefix(b, lo).toString('latin1');
      const whole = decoded.slice(0, decoded.lastIndexOf('\n')).split('\n');
      const good = whole.findIndex((l, i) => l !== lines[i]);
      const intact = good === -1 ? whole : whole.slice(0, good);
      const a = await analyse({ 'raw.ndjson.gz': b });
      expect(a.input.truncated).toBe(true);
      expect(a.totals.requests).toBeGreaterThanOrEqual(requestsIn(intact));
      const f = a.input.damaged?.files[0];
      expect(f?.firstLine).toBeGreaterThan(intact.length);
      expect(f?.firstLine).toBeLessThanOrEqual(whole.length + 1);
      expect(f?.linesBefore).toBe((f?.firstLine as number) - 1);
    }
  });
});

function isWholeObject(l: string): boolean {
  try {
    const v: unknown = JSON.parse(l);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}
