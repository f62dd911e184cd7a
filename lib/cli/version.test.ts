import { mkdtemp, mkdir, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../contract/errors.ts';
import { main } from './main.ts';
import { pinnedK6VersionSync, versionText } from './version.ts';

describe('loadgate --version', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'loadgate-version-'));
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'loadgate', version: '9.8.7' }));
    await mkdir(join(root, 'build', 'k6'), { recursive: true });
    await writeFile(join(root, 'build', 'k6', 'go.mod'), 'module x\n\ngo 1.25.0\n\nrequire go.k6.io/k6/v2 v2.9.1\n');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("prints the tool's version, the pinned k6 and what the binary says, run without usage reports", async () => {
    expect(pinnedK6VersionSync(root)).toBe('v2.9.1');
    expect(versionText({}, root)).toBe(
      `loadgate 9.8.7\nk6 v2.9.1 pinned (build/k6/go.mod)\nk6 binary ${join(root, '.tools/k6/v2.9.1/k6')}: not installed (bash scripts/setup.sh)\n`,
    );
    // A stand-in k6 that reports its environment: the version call must not phone home.
    const fake = join(root, 'k6');
    await writeFile(fake, '#!/bin/sh\necho "k6 v2.9.1 (usage=$K6_NO_USAGE_REPORT ext=$K6_AUTO_EXTENSION_RESOLUTION)"\n');
    await chmod(fake, 0o755);
    expect(versionText({ LOADGATE_K6: fake }, root)).toContain(`k6 binary ${fake} (LOADGATE_K6): k6 v2.9.1 (usage=true ext=false)\n`);
  });

  it('exits 0 through main, on stdout', async () => {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
      out += String(c);
      return true;
    });
    try {
      expect(await main(['node', 'loadgate', '--version'])).toBe(ExitCode.ok);
      expect(await main(['node', 'loadgate', '-V'])).toBe(ExitCode.ok);
    } finally {
      spy.mockRestore();
    }
    expect(out).toMatch(/^loadgate \d+\.\d+\.\d+\nk6 v\d+\.\d+\.\d+ pinned \(build\/k6\/go\.mod\)\n/);
  });
});
