/**
 * One request to the target before any load: a target that does not answer stops the run
 * within seconds, with the address and the error, and no load is sent. Any HTTP answer will
 * do (a 404 or a 401 still proves a server is there).
 */
import { InfraError } from '../cli/errors.ts';
import { REFERENCE_API_HEADER } from '../shared/defaults.ts';

export interface PreflightResult {
  url: string;
  status: number;
  ms: number;
  /** The answer came from loadgate's bundled reference API. */
  referenceApi: boolean;
}

export async function preflight(baseUrl: string, path: string | null, timeoutMs = 5000): Promise<PreflightResult> {
  const url = baseUrl.replace(/\/+$/, '') + (path ?? '/');
  const started = performance.now();
  try {
    const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return { url, status: res.status, ms: performance.now() - started, referenceApi: res.headers.get(REFERENCE_API_HEADER) === 'loadgate' };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new InfraError(`the target ${url} does not answer (${reason}): no load was sent; check target.baseUrl, --target or target.preflight`);
  }
}
