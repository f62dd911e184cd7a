/**
 * The harness's side of InfluxDB 1.x, on the well-kept `influx` client (node-influx):
 * URL parsing (one syntax shared with k6's `--out influxdb=`), connection, ping, database and
 * retention-policy setup. k6 writes its own samples; this module writes what k6 does not.
 */
import { InfluxDB } from 'influx';
import { UsageError } from '../contract/errors.ts';
import { HISTORY_RP } from '../contract/influx.ts';

/** The database used when the URL names none (k6's documentation uses the same). */
export const DEFAULT_DATABASE = 'k6';

export interface InfluxTarget {
  protocol: 'http' | 'https';
  host: string;
  port: number;
  /** Reverse-proxy path prefix before the database name ('' when none). */
  pathPrefix: string;
  database: string;
  username: string | null;
  password: string | null;
  /** The URL without credentials or database: safe to print, store and pass on argv. */
  baseUrl: string;
}

/**
 * Parses `http(s)://[user:pass@]host[:port][/prefix…][/db]`. The last path segment, when
 * present, is the database (as in k6's `--out influxdb=`); otherwise `database` or `k6`.
 */
/** The env vars InfluxDB credentials come from: never the URL, which shows in `ps`, logs and run.json. */
export const INFLUX_ENV = { username: 'LOADGATE_INFLUX_USERNAME', password: 'LOADGATE_INFLUX_PASSWORD' } as const;

export function parseInfluxUrl(raw: string, database?: string, env: Record<string, string | undefined> = process.env): InfluxTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--influx must be a URL such as http://127.0.0.1:8086/k6, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--influx must be an http:// or https:// URL (InfluxDB 1.x HTTP API), got "${url.protocol}"`);
  }
  if (url.username || url.password) {
    // Never echo the URL: it holds a password.
    throw new UsageError(
      `--influx must not hold credentials (user:password@): they would show in ps, logs and run.json; set ${INFLUX_ENV.username} and ${INFLUX_ENV.password} instead`,
    );
  }
  const segments = url.pathname.split('/').filter((s) => s.length > 0);
  const fromPath = segments.length > 0 ? decodeURIComponent(segments[segments.length - 1] as string) : undefined;
  const db = fromPath ?? database ?? DEFAULT_DATABASE;
  const pathPrefix = segments.length > 1 ? `/${segments.slice(0, -1).join('/')}` : '';
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  const port = Number(url.port || (protocol === 'https' ? 443 : 8086));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    protocol,
    host,
    port,
    pathPrefix,
    database: db,
    username: env[INFLUX_ENV.username] || null,
    password: env[INFLUX_ENV.password] || null,
    baseUrl: `${protocol}://${url.host}${pathPrefix}`,
  };
}

export interface ConnectOptions {
  /** Per-request timeout, ms: a dead InfluxDB must never hold a run up. */
  requestTimeoutMs?: number;
}

export function connectInflux(target: InfluxTarget, opts: ConnectOptions = {}): InfluxDB {
  return new InfluxDB({
    host: target.host,
    port: target.port,
    protocol: target.protocol,
    path: target.pathPrefix,
    database: target.database,
    ...(target.username !== null ? { username: target.username } : {}),
    ...(target.password !== null ? { password: target.password } : {}),
    // One attempt per write: the observer keeps failed points and retries them itself.
    pool: { requestTimeout: opts.requestTimeoutMs ?? 5000, maxRetries: 0 },
  });
}

/** True when InfluxDB answers `/ping` within `timeoutMs`. */
export async function pingInflux(client: InfluxDB, timeoutMs: number): Promise<boolean> {
  try {
    const hosts = await client.ping(timeoutMs);
    return hosts.some((h) => h.online);
  } catch {
    return false;
  }
}

/** Creates the database and the history retention policy when missing (both idempotent). */
export async function ensureDatabase(client: InfluxDB, database: string): Promise<void> {
  const names = await client.getDatabaseNames();
  if (!names.includes(database)) await client.createDatabase(database);
  const policies = await client.showRetentionPolicies(database);
  if (!policies.some((p) => p.name === HISTORY_RP)) {
    await client.createRetentionPolicy(HISTORY_RP, { database, duration: 'INF', replication: 1, isDefault: false });
  }
}
