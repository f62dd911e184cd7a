/**
 * Body-shape checks, compiled once per endpoint into a predicate the k6 scripts call for every
 * response. Pure and free of Node and k6 APIs: shared by both sides and unit-tested under Node.
 */
import type { BodyCheck, JsonExpect } from '../contract/plan.ts';
import { compileJsonPath, isMissing, jsonType, readJsonPath } from './json-path.ts';

/** What a predicate reads of a response: k6's Response has both (`json()` parses once and caches). */
export interface BodyLike {
  readonly body: string | null | ArrayBuffer;
  json(): unknown;
}

export type BodyPredicate = (r: BodyLike) => boolean;

const always: BodyPredicate = () => true;

function expectation(e: JsonExpect): (v: unknown) => boolean {
  if (e.exists) return (v) => !isMissing(v);
  if (e.type !== undefined) {
    const type = e.type;
    return (v) => !isMissing(v) && jsonType(v) === type;
  }
  if (e.minLength !== undefined) {
    const min = e.minLength;
    return (v) => (Array.isArray(v) || typeof v === 'string') && v.length >= min;
  }
  const equals = e.equals;
  return (v) => v === equals;
}

/** Compiles a check into a predicate; the work per response is one parse (json) or one scan. */
export function compileBodyCheck(check: BodyCheck | null): BodyPredicate {
  if (check === null) return always;
  if (check.empty) return (r) => r.body === null || (typeof r.body === 'string' ? r.body.length : r.body.byteLength) === 0;
  if (check.jsonPath) {
    const paths = check.jsonPath;
    const tests = Object.keys(paths).map((path) => ({ steps: compileJsonPath(path), test: expectation(paths[path] as JsonExpect) }));
    return (r) => {
      let value: unknown;
      try {
        value = r.json();
      } catch {
        return false;
      }
      for (let i = 0; i < tests.length; i++) {
        const t = tests[i] as (typeof tests)[number];
        if (!t.test(readJsonPath(value, t.steps))) return false;
      }
      return true;
    };
  }
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
    for (let i = 0; i < fields.length; i++) if (!Object.hasOwn(value, fields[i] as string)) return false;
    return true;
  };
}
