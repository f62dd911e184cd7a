/**
 * The one formatter of zod issues for stored files: `path: message` pairs, the path dotted from
 * the file's root (`endpoints.3.p95`), `(root)` for the whole value. Every run file's error
 * (lib/contract/run-dir.ts) says what is wrong with it through this.
 */

interface Issue {
  path: readonly PropertyKey[];
  message: string;
}

/** The issues of a zod error (or anything with `issues`), at most `max` of them; else the error's message. */
export function formatIssues(err: unknown, max = 5): string {
  const issues = (err as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues)) return err instanceof Error ? err.message : String(err);
  const shown = (issues as Issue[])
    .slice(0, max)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  return issues.length > max ? `${shown}; and ${issues.length - max} more` : shown;
}
