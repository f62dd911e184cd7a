/**
 * Is a body valid Prometheus text exposition (format 0.0.4, which OpenMetrics text also
 * satisfies line by line)? The readiness check `monitoring.prometheus` asks it of the endpoints
 * a config declares as Prometheus endpoints. Pure, no Node or k6 APIs: the k6 scripts run it,
 * Node tests it.
 *
 * The rules (docs/verdicts.md, "Readiness"): every line is empty, a comment (`# …`), a
 * `# HELP name text` or `# TYPE name type` line naming a valid metric name and (for TYPE) a known
 * type, or a sample `name{label="value",…} value [timestamp]` with a valid metric name, valid
 * label names, properly quoted and escaped label values, a float value (`NaN`, `+Inf`, `-Inf`
 * included) and an optional integer timestamp; and at least one sample.
 */

/**
 * The patterns, built on first use: k6 runs this module's top level in every VU, and a compiled
 * regular expression is kilobytes there, while only the VU that runs the readiness checks needs them.
 */
function patterns() {
  cached ??= {
    METRIC_NAME: /^[a-zA-Z_:][a-zA-Z0-9_:]*$/,
    LABEL_NAME: /^[a-zA-Z_][a-zA-Z0-9_]*$/,
    TYPES: new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'info', 'stateset', 'gaugehistogram', 'unknown']),
    FLOAT: /^[+-]?(?:\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|inf|NaN|nan)$/,
    TIMESTAMP: /^-?\d+(?:\.\d+)?$/,
  };
  return cached;
}
let cached: { METRIC_NAME: RegExp; LABEL_NAME: RegExp; TYPES: Set<string>; FLOAT: RegExp; TIMESTAMP: RegExp } | undefined;

export interface ExpositionResult {
  valid: boolean;
  samples: number;
  /** The first problem, with its line number; null when valid. */
  error: string | null;
}

/** Reads `{a="x",b="y"}` starting at `i` (the `{`); the index after `}`, or an error. */
function readLabels(line: string, start: number): { end: number } | { error: string } {
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ') i++;
    if (line[i] === '}') return { end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0) return { error: 'a label without "="' };
    const name = line.slice(i, eq).trim();
    if (!patterns().LABEL_NAME.test(name)) return { error: `an invalid label name ${JSON.stringify(name)}` };
    i = eq + 1;
    if (line[i] !== '"') return { error: `label ${name}: its value is not quoted` };
    i++;
    for (;;) {
      const c = line[i];
      if (c === undefined) return { error: `label ${name}: its value is not closed` };
      if (c === '\\') {
        const next = line[i + 1];
        if (next !== '\\' && next !== '"' && next !== 'n') return { error: `label ${name}: an invalid escape \\${next ?? ''}` };
        i += 2;
        continue;
      }
      i++;
      if (c === '"') break;
    }
    while (line[i] === ' ') i++;
    if (line[i] === ',') {
      i++;
      continue;
    }
    if (line[i] === '}') return { end: i + 1 };
    return { error: `after label ${name}: expected "," or "}"` };
  }
}

function sampleError(line: string): string | null {
  const brace = line.indexOf('{');
  const space = line.search(/[ \t]/);
  const nameEnd = brace >= 0 && (space < 0 || brace < space) ? brace : space;
  const name = line.slice(0, nameEnd < 0 ? line.length : nameEnd);
  if (!patterns().METRIC_NAME.test(name)) return `an invalid metric name ${JSON.stringify(name)}`;
  if (nameEnd < 0) return `${name}: no value`;
  let rest: string;
  if (line[nameEnd] === '{') {
    const labels = readLabels(line, nameEnd);
    if ('error' in labels) return labels.error;
    rest = line.slice(labels.end);
  } else rest = line.slice(nameEnd);
  const parts = rest.trim().split(/[ \t]+/);
  if (parts.length === 0 || parts[0] === '') return `${name}: no value`;
  if (parts.length > 2) return `${name}: more than a value and a timestamp`;
  if (!patterns().FLOAT.test(parts[0] as string)) return `${name}: the value ${JSON.stringify(parts[0])} is not a number`;
  if (parts[1] !== undefined && !patterns().TIMESTAMP.test(parts[1]))
    return `${name}: the timestamp ${JSON.stringify(parts[1])} is not a number`;
  return null;
}

export function checkExposition(body: string): ExpositionResult {
  let samples = 0;
  const lines = body.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] as string).replace(/\r$/, '');
    if (line.trim() === '') continue;
    const at = (msg: string): ExpositionResult => ({ valid: false, samples, error: `line ${n + 1}: ${msg}` });
    if (line.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) continue; // any other comment, `# EOF` included
      if (!patterns().METRIC_NAME.test(m[2] as string)) return at(`${m[1]} names an invalid metric ${JSON.stringify(m[2])}`);
      if (m[1] === 'TYPE' && !patterns().TYPES.has((m[3] ?? '').trim()))
        return at(`TYPE ${m[2]}: unknown type ${JSON.stringify(m[3] ?? '')}`);
      continue;
    }
    const err = sampleError(line);
    if (err) return at(err);
    samples++;
  }
  if (samples === 0) return { valid: false, samples, error: 'no sample in the body' };
  return { valid: true, samples, error: null };
}
