/** Where a read-only install builds: the cache's precedence, and the test of a writable directory. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheBase, installWritable, NPM_INSTALL, sourceKey, writable } from './place.mjs';

describe('cacheBase: LOADGATE_CACHE_DIR > XDG_CACHE_HOME > ~/.cache', () => {
  it.each([
    ['LOADGATE_CACHE_DIR wins', { LOADGATE_CACHE_DIR: '/srv/lg', XDG_CACHE_HOME: '/x' }, '/srv/lg'],
    ['XDG_CACHE_HOME next, with loadgate/ under it', { XDG_CACHE_HOME: '/x/cache' }, '/x/cache/loadgate'],
    ['a relative XDG_CACHE_HOME is invalid (the XDG spec) and ignored', { XDG_CACHE_HOME: 'rel' }, join(homedir(), '.cache', 'loadgate')],
    ['else ~/.cache/loadgate', {}, join(homedir(), '.cache', 'loadgate')],
  ])('%s', (_what, env, expected) => {
    expect(cacheBase(env)).toBe(expected);
  });
});

describe('writable', () => {
  it('answers for the closest existing path when the path does not exist yet, and a file is no directory', () => {
    expect(writable('/tmp/loadgate-does-not-exist/deeper')).toBe(true);
    // Under a file, nothing can be made, whoever asks (a read-only mount: test/run/read-only-install.test.ts).
    expect(writable(join(import.meta.dirname, 'place.mjs', 'deeper'))).toBe(false);
  });

  it('a checkout is not an npm install: its own build directory may be written', () => {
    expect(NPM_INSTALL).toBe(false);
    expect(installWritable('/tmp/loadgate-does-not-exist')).toBe(true);
  });
});

describe('sourceKey', () => {
  it('is 16 hex digits, the same for the same sources', () => {
    expect(sourceKey()).toMatch(/^[0-9a-f]{16}$/);
    expect(sourceKey()).toBe(sourceKey());
  });
});
