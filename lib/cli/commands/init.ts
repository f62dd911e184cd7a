/** `loadgate init --openapi FILE`: a starting config file from an OpenAPI 3 (or Swagger 2.0) document. */
import type { Command } from 'commander';
import { UsageError } from '../../contract/errors.ts';

interface InitFlags {
  openapi: string;
  out: string;
  baseUrl?: string;
  force?: boolean;
  validate: boolean;
}

/** --base-url: an absolute http(s) URL without credentials; a trailing "/" is dropped. */
export function parseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--base-url must be a URL such as "http://127.0.0.1:8080", got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--base-url must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  if (url.username || url.password)
    throw new UsageError('--base-url must not hold credentials (user:password@): the auth strategies read them from env vars');
  if (url.search || url.hash) throw new UsageError(`--base-url must not have a query or fragment, got ${JSON.stringify(raw)}`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

export function register(program: Command): void {
  program
    .command('init')
    .description('write a starting config file (endpoints, auth, flows) from an OpenAPI 3.0/3.1 or Swagger 2.0 document')
    .requiredOption(
      '--openapi <file>',
      'the OpenAPI document, JSON or YAML; $refs to other local files are read, nothing is fetched over the network',
    )
    .option('--out <file>', 'the config file to write (YAML)', 'loadgate.yaml')
    .option('--base-url <url>', "the API under test (default: the document's first absolute http(s) server)", parseBaseUrl)
    .option('--force', 'overwrite --out when it exists')
    .option('--no-validate', 'map a document that does not validate against the OpenAPI schema, as far as it can be read')
    .action(async (flags: InitFlags) => {
      // Loaded when the command runs: `loadgate <other command>` and --help do not pay for the parser.
      const [{ initFromOpenApi, formatSummary }, { checkOutFile }] = await Promise.all([
        import('../../init/init.ts'),
        import('../../run/guard.ts'),
      ]);
      await checkOutFile(flags.out, '--out');
      const outcome = await initFromOpenApi({
        openapi: flags.openapi,
        out: flags.out,
        baseUrl: flags.baseUrl,
        force: flags.force,
        validate: flags.validate,
      });
      process.stderr.write(`${formatSummary(outcome, flags.openapi)}\n`);
      process.stdout.write(`wrote ${outcome.out}\n`);
    });
}
