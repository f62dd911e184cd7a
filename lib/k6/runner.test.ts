/** The k6 runner's pure parts: a full disk in k6's words, the summary's unnamed file and what is kept of it. */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskFullIn, keepSummary, unnamedFile } from './runner.ts';

describe('diskFullIn', () => {
  it.each([
    [
      'k6 JSON output, ENOSPC',
      'time="2026-12-02T15:39:49Z" level=error msg="Sample(s) couldn\'t be marshalled to JSON" error="write /r/raw.ndjson.gz: no space left on device" failed=13',
      { file: '/r/raw.ndjson.gz', code: 'ENOSPC', text: 'no space left on device' },
    ],
    [
      'a quota',
      'error="close /r/raw.1-of-2.ndjson.gz: disk quota exceeded"',
      { file: '/r/raw.1-of-2.ndjson.gz', code: 'EDQUOT', text: 'disk quota exceeded' },
    ],
    ['another error', 'error="write /r/raw.ndjson.gz: input/output error"', null],
    ['words without a path', 'the disk has no space left on device', null],
  ])('%s', (_what, line, expected) => {
    expect(diskFullIn(line)).toEqual(expected);
  });
});

describe('unnamedFile', () => {
  it('is open, has no name on disk, and its private directory is gone', async () => {
    const handle = await unnamedFile();
    try {
      const link = await readlink(`/proc/self/fd/${handle.fd}`);
      expect(link).toMatch(/\/loadgate-k6-summary-\w+\/summary\.json \(deleted\)$/);
      expect(existsSync(dirname(link.replace(/ \(deleted\)$/, '')))).toBe(false);
      await handle.write('{"a":1}');
      expect(await readFile(`/proc/self/fd/${handle.fd}`, 'utf8')).toBe('{"a":1}');
    } finally {
      await handle.close();
    }
  });
});

describe('keepSummary', () => {
  it('keeps the summary without setup_data; an empty one is not written; one that does not parse is not kept, and said so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadgate-summary-'));
    const notes: string[] = [];
    await keepSummary('{"metrics":{"http_reqs":{"count":3}},"setup_data":{"tokens":["secret-token"]}}', join(dir, 'a.json'), (l) =>
      notes.push(l),
    );
    expect(JSON.parse(await readFile(join(dir, 'a.json'), 'utf8'))).toEqual({ metrics: { http_reqs: { count: 3 } } });
    await keepSummary('', join(dir, 'b.json'), (l) => notes.push(l));
    expect(existsSync(join(dir, 'b.json'))).toBe(false);
    await keepSummary('{"setup_data":{"tokens":["secret-tok', join(dir, 'c.json'), (l) => notes.push(l));
    expect(existsSync(join(dir, 'c.json'))).toBe(false);
    expect(notes).toEqual(["loadgate: k6's summary export did not parse; not kept (it may hold setup() data)"]);
  });
});
