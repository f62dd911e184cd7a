#!/usr/bin/env node
// Entry point: runs the CLI built into plain JavaScript (build/cli.mjs rebuilds it first when a
// source changed). Should the build fail, the TypeScript sources run through tsx instead.
import { pathToFileURL } from 'node:url';

let cli;
try {
  const { cliEntry } = await import('../build/cli.mjs');
  ({ cli } = await import(pathToFileURL(await cliEntry()).href));
} catch (err) {
  process.stderr.write(
    `loadgate: the built CLI is unavailable (${err instanceof Error ? err.message : String(err)}); running the sources through tsx\n`,
  );
  const { register } = await import('tsx/esm/api');
  register();
  ({ cli } = await import('../lib/cli/main.ts'));
}
// Sets the exit code; an error no await catches still ends with a documented one and one line (lib/cli/main.ts).
await cli(process.argv);
