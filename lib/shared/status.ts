/**
 * Expected statuses: a list of codes and ranges. The config also takes "2xx"-style classes,
 * which resolve to ranges; the plan holds only codes and { min, max } ranges, the two forms
 * k6's `http.expectedStatuses()` takes, so k6's `http_req_failed` agrees with loadgate's classes.
 */
export type StatusMatcher = number | { min: number; max: number };

/** "2xx" → { min: 200, max: 299 }; numbers and ranges pass through. */
export function resolveStatus(s: number | string | { min: number; max: number }): StatusMatcher {
  if (typeof s === 'string') {
    const d = Number(s[0]);
    return { min: d * 100, max: d * 100 + 99 };
  }
  return s;
}

export function statusMatches(list: readonly StatusMatcher[], status: number): boolean {
  // An index loop: k6 calls this on every request, where a for-of loop needs an iterator.
  for (let i = 0; i < list.length; i++) {
    const s = list[i] as StatusMatcher;
    if (typeof s === 'number' ? s === status : status >= s.min && status <= s.max) return true;
  }
  return false;
}

export function formatStatuses(list: readonly StatusMatcher[]): string {
  return list
    .map((s) => (typeof s === 'number' ? String(s) : s.max - s.min === 99 && s.min % 100 === 0 ? `${s.min / 100}xx` : `${s.min}-${s.max}`))
    .join(', ');
}

/** Every code a list allows (ranges spelled out: at most 500 codes). */
export function expandStatuses(list: readonly StatusMatcher[]): number[] {
  const out = new Set<number>();
  for (const s of list) {
    if (typeof s === 'number') out.add(s);
    else for (let c = s.min; c <= s.max; c++) out.add(c);
  }
  return [...out];
}
