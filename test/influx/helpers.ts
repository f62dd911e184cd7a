/**
 * Integration helpers: the real `loadgate` CLI as a subprocess, and raw InfluxQL against a
 * real InfluxDB (the HTTP API's JSON, exactly what Grafana's datasource receives).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../bin/loadgate.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(args: string[], env: Record<string, string> = {}, onSpawn?: (pid: number) => void): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    if (child.pid !== undefined) onSpawn?.(child.pid);
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

/** The run directory `loadgate run` prints as its last stdout line. */
export function runDirOf(result: CliResult): string {
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  const last = lines[lines.length - 1];
  if (!last) throw new Error(`loadgate run printed no run directory (exit ${result.code})\nstderr:\n${result.stderr.slice(-3000)}`);
  return last.trim();
}

export interface InfluxSeries {
  name?: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export async function influxQuery(baseUrl: string, db: string, query: string): Promise<InfluxSeries[]> {
  const url = `${baseUrl}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(query)}`;
  const res = await fetch(url);
  const body = (await res.json()) as { error?: string; results?: { error?: string; series?: InfluxSeries[] }[] };
  if (!res.ok || body.error) throw new Error(`InfluxDB ${res.status}: ${body.error ?? ''} for ${query}`);
  const result = body.results?.[0];
  if (result?.error) throw new Error(`InfluxQL error: ${result.error}\n  query: ${query}`);
  return result?.series ?? [];
}

/** Series that hold at least one row with a non-null value besides the time. */
export function seriesWithData(series: readonly InfluxSeries[]): InfluxSeries[] {
  return series.filter((s) => s.values.some((row) => row.some((v, i) => s.columns[i] !== 'time' && v !== null && v !== undefined)));
}
