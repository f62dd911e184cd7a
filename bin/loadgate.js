#!/usr/bin/env node
// Entry point: runs the CLI built into plain JavaScript (build/cli.mjs rebuilds it first when a
// source changed). Should the build fail, the TypeScript sources run through tsx instead.
import { pathToFileURL } from 'node:url';

let main;
let installFaultHandlers;
try {
  const { cliEntry } = await import('../build/cli.mjs');
  ({ main, installFaultHandlers } = await import(pathToFileURL(await cliEntry()).href));
} catch (err) {
  process.stderr.write(
    `loadgate: the built CLI is unavailable (${err instanceof Error ? err.message : String(err)}); running the sources through tsx\n`,
  );
  const { register } = await import('tsx/esm/api');
  register();
  ({ main, installFaultHandlers } = await import('../lib/cli/main.ts'));
}
// An error no await catches still ends with a documented exit code and one line (lib/cli/main.ts).
installFaultHandlers();
process.exitCode = await main(process.argv);
