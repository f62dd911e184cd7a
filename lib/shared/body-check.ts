/**
 * Body-shape checks, compiled once per endpoint into a predicate the k6 scripts call for every
 * response. Pure and free of Node and k6 APIs: shared by both sides and unit-tested under Node.
 */
import type { BodyCheck, PlanEndpoint } from '../plan/schema.ts';

/** What a predicate reads of a response: k6's Response has both (`json()` parses once and caches). */
export interface BodyLike {
  readonly body: string | null | ArrayBuffer;
  json(): unknown;
}

export type BodyPredicate = (r: BodyLike) => boolean;

const always: BodyPredicate = () => true;

/** The endpoint's check: `expectBody`, or for plans written before it, `expectField`. */
export function bodyCheckOf(ep: Pick<PlanEndpoint, 'expectField' | 'expectBody'>): BodyCheck | null {
  if (ep.expectBody !== undefined) return ep.expectBody;
  return ep.expectField === null ? null : { json: [ep.expectField] };
}

/** Compiles a check into a predicate; the work per response is one parse (json) or one scan. */
export function compileBodyCheck(check: BodyCheck | null): BodyPredicate {
  if (check === null) return always;
  if (check.empty) return (r) => r.body === null || (typeof r.body === 'string' ? r.body.length : r.body.byteLength) === 0;
  const text = check.contains;
  if (text !== undefined) return (r) => typeof r.body === 'string' && r.body.includes(text);
  const fields = check.json ?? [];
  return (r) => {
    let value: unknown;
    try {
      value = r.json();
    } catch {
      return false;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    for (const f of fields) if (!Object.hasOwn(value, f)) return false;
    return true;
  };
}
