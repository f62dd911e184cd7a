/** Types of build/place.mjs (plain JavaScript, so that bin/loadgate.js needs no tsx). */
import type { Plugin } from 'esbuild';

export const ROOT: string;
export const NPM_INSTALL: boolean;
export function installWritable(dir: string): boolean;
export function writable(dir: string): boolean;
export function cacheBase(env?: NodeJS.ProcessEnv): string;
export function sourceKey(): string;
export function cacheDir(env?: NodeJS.ProcessEnv): string;
export function makeDirs(dir: string): void;
export function discard(dir: string): void;
export function publish(tmp: string, dir: string): void;
export function stagingDir(dir: string): string;
export function packagesFromInstall(): Plugin;
