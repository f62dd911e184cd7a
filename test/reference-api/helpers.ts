/** Small HTTP helpers for the reference API's integration tests. */
import { REFERENCE_PASSWORD } from '../../lib/shared/reference-api.ts';

export interface Res {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export async function call(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  const res = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export async function login(base: string, email: string, password = REFERENCE_PASSWORD) {
  const res = await call(base, 'POST', '/api/auth/login', { body: { email, password } });
  return { res, tokens: res.body as { accessToken: string; refreshToken: string; expiresIn: number } };
}

/** Cheap hashing so the functional tests do not spend their time in PBKDF2. */
export const FAST = { hashing: { iterations: 1_000 } } as const;
