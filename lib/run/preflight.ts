/**
 * One request to the target before any load: a target that does not answer stops the run
 * within seconds, with the address and the error, and no load is sent. Any HTTP answer will
 * do (a 404 or a 401 still proves a server is there). node:http rather than fetch: fetch
 * refuses the ports on the Fetch standard's "bad ports" list, which a test API may well use.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { InfraError } from '../contract/errors.ts';
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
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const fail = (reason: string) =>
      reject(
        new InfraError(
          `the target ${url} does not answer (${reason}): no load was sent; check target.baseUrl, --target or target.preflight`,
        ),
      );
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve({
        url,
        status: res.statusCode ?? 0,
        ms: performance.now() - started,
        referenceApi: res.headers[REFERENCE_API_HEADER.toLowerCase()] === 'loadgate',
      });
    });
    req.on('timeout', () => {
      req.destroy();
      fail(`no answer within ${timeoutMs} ms`);
    });
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    req.end();
  });
}
