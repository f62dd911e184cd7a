/** The pure parts of segmented runs: segment fractions, file names, status, k6's command line, the netns layout. */
import { describe, expect, it } from 'vitest';
import { k6Args, k6Command, type K6RunArgs } from '../../lib/k6/runner.ts';
import { MAX_NETNS_SEGMENTS, netnsNames, segmentAddresses, targetAddressOf } from '../../lib/run/netns.ts';
import { combinedResult, combineStatus, segmentFiles, segmentSpecs, type SegmentOutcome } from '../../lib/run/segments.ts';
import type { SegmentRecord } from '../../lib/contract/run.ts';
import { segmentFragments } from '../k8s/operator.ts';

describe('segmentSpecs', () => {
  it('writes the segments and sequence as the k6-operator does, for any N', () => {
    expect(segmentSpecs(1)).toEqual([{ index: 1, count: 1, segment: '0:1', sequence: '0,1' }]);
    expect(segmentSpecs(3).map((s) => [s.segment, s.sequence])).toEqual([
      ['0:1/3', '0,1/3,2/3,1'],
      ['1/3:2/3', '0,1/3,2/3,1'],
      ['2/3:1', '0,1/3,2/3,1'],
    ]);
    for (const n of [2, 3, 4, 7, 12]) {
      for (const s of segmentSpecs(n)) {
        expect([`--execution-segment=${s.segment}`, `--execution-segment-sequence=${s.sequence}`]).toEqual(segmentFragments(s.index, n));
      }
    }
  });
  it('refuses what is not a whole number of at least one', () => {
    expect(() => segmentSpecs(0)).toThrow(RangeError);
    expect(() => segmentSpecs(1.5)).toThrow(RangeError);
  });
});

describe('segmentFiles', () => {
  it('keeps the classic names for one process, numbers them for several', () => {
    expect(segmentFiles(1, 1)).toEqual({ rawFile: 'raw.ndjson.gz', summaryFile: 'summary.json', logFile: 'k6.log' });
    expect(segmentFiles(2, 3)).toEqual({ rawFile: 'raw.2-of-3.ndjson.gz', summaryFile: 'summary.2-of-3.json', logFile: 'k6.2-of-3.log' });
    // What the analysis finds in a directory without run.json.
    expect(/^raw.*\.ndjson(\.gz)?$/.test(segmentFiles(2, 3).rawFile)).toBe(true);
  });
});

describe('combineStatus', () => {
  const st = (...s: SegmentRecord['status'][]) => combineStatus(s.map((status) => ({ status })));
  it('is the worst status; partial when some but not all failed', () => {
    expect(st('completed', 'completed')).toEqual({ status: 'completed', partial: false });
    expect(st('completed', 'failed', 'completed')).toEqual({ status: 'failed', partial: true });
    expect(st('failed', 'failed')).toEqual({ status: 'failed', partial: false });
    expect(st('completed', 'aborted')).toEqual({ status: 'aborted', partial: false });
    expect(st('interrupted', 'failed')).toEqual({ status: 'interrupted', partial: true });
  });
});

describe('combinedResult', () => {
  const outcome = (status: SegmentRecord['status'], exitCode: number | null, signal: string | null = null): SegmentOutcome => ({
    record: { status } as SegmentRecord,
    result: { exitCode, signal, forwarded: null, durationMs: 1000, tail: [`${status} tail`] },
    error: null,
  });
  it('reports the failed segment: its exit code, signal and last lines', () => {
    const r = combinedResult([outcome('completed', 0), outcome('failed', null, 'SIGKILL'), outcome('completed', 0)]);
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGKILL', tail: ['failed tail'] });
    expect(combinedResult([outcome('completed', 0), outcome('completed', 0)])).toMatchObject({ exitCode: 0, signal: null });
  });
});

describe("k6's command line for a segment", () => {
  const base: K6RunArgs = {
    k6: { path: '/opt/k6', version: 'v2.2.0' },
    script: '/x/flow.js',
    env: {},
    outputs: ['json=/r/raw.1-of-2.ndjson.gz'],
    summaryExport: '/r/summary.1-of-2.json',
    apiAddress: '127.0.0.1:7000',
    logFile: '/r/k6.log',
    redact: [],
  };
  it('adds the segment, the sequence, --paused and the tags, and keeps --no-usage-report; the script last', () => {
    const a = k6Args({ ...base, segment: { segment: '0:1/2', sequence: '0,1/2,1' }, paused: true, tags: { instance_id: '1' } });
    expect(a).toEqual([
      'run',
      '--no-color',
      '--quiet',
      '--no-usage-report',
      '--out',
      'json=/r/raw.1-of-2.ndjson.gz',
      '--summary-export',
      '/r/summary.1-of-2.json',
      '--address',
      '127.0.0.1:7000',
      '--execution-segment',
      '0:1/2',
      '--execution-segment-sequence',
      '0,1/2,1',
      '--paused',
      '--tag',
      'instance_id=1',
      '/x/flow.js',
    ]);
    expect(k6Args(base)).not.toContain('--paused');
  });
  it('runs k6 under setpriv --pdeathsig, and under the wrapper (ip netns exec) after it', () => {
    expect(k6Command(base, ['run'], '/usr/bin/setpriv')).toEqual(['/usr/bin/setpriv', ['--pdeathsig', 'SIGINT', '--', '/opt/k6', 'run']]);
    expect(k6Command({ ...base, wrap: ['/usr/sbin/ip', 'netns', 'exec', 'lg-1'] }, ['run'], '/usr/bin/setpriv')).toEqual([
      '/usr/bin/setpriv',
      ['--pdeathsig', 'SIGINT', '--', '/usr/sbin/ip', 'netns', 'exec', 'lg-1', '/opt/k6', 'run'],
    ]);
    expect(k6Command(base, ['run'], null)).toEqual(['/opt/k6', ['run']]);
  });
});

describe('network namespace layout', () => {
  it('one /30 per segment in a /24 of 10.213/16, the hub end .1, the segment .2', () => {
    expect(segmentAddresses(7, 0)).toEqual({ hub: '10.213.7.1', segment: '10.213.7.2' });
    expect(segmentAddresses(7, 2)).toEqual({ hub: '10.213.7.9', segment: '10.213.7.10' });
    expect(segmentAddresses(7, MAX_NETNS_SEGMENTS - 1)).toEqual({ hub: '10.213.7.253', segment: '10.213.7.254' });
    expect(() => segmentAddresses(7, MAX_NETNS_SEGMENTS)).toThrow();
  });
  it('interface names fit in 15 characters', () => {
    const n = netnsNames('a1b2c3', 64);
    expect(n).toEqual({ namespace: 'lg-a1b2c3-64', hubInterface: 'lga1b2c3h64', segmentInterface: 'lga1b2c3s64' });
    expect(n.hubInterface.length).toBeLessThanOrEqual(15);
  });
  it('the target must be an IPv4 address (or localhost): the namespaces have no resolver', () => {
    expect(targetAddressOf('http://127.0.0.1:8080')).toBe('127.0.0.1');
    expect(targetAddressOf('http://localhost:8080/api')).toBe('127.0.0.1');
    expect(targetAddressOf('https://10.0.0.5')).toBe('10.0.0.5');
    expect(() => targetAddressOf('http://api.example.test')).toThrow(/needs the target as an IPv4 address/);
    expect(() => targetAddressOf('http://[::1]:8080')).toThrow(/IPv4/);
  });
});
