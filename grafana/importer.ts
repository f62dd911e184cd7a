/**
 * What Grafana's dashboard import does with a dashboard in the import form, so tests can load
 * the grafana/import/ JSON exactly as an import would (Grafana's
 * pkg/services/dashboardimport/utils/dash_template_evaluator.go):
 *   - every `__inputs` entry needs a value of its type, else the import fails naming it;
 *   - `${NAME}` of each declared input is replaced in every string of the dashboard, at any
 *     depth; a `${…}` that names no input is left as it is (dashboard variables such as `${phase}`);
 *   - `__inputs` is dropped, everything else (`__requires` included) is kept.
 */

export interface ImportInput {
  /** The input's name, e.g. DS_INFLUXDB; `*` answers every input of its type. */
  name: string;
  /** `datasource` or `constant`, as the input declares. */
  type: string;
  /** For a datasource input: the uid of the datasource picked. */
  value: string;
}

interface InputDefinition {
  name?: unknown;
  type?: unknown;
}

export class MissingImportInputError extends Error {
  constructor(readonly input: string) {
    super(`Dashboard input variable: ${input} missing from import command`);
  }
}

/** The dashboard Grafana stores after importing `template` with these input values. */
export function evaluateImport(template: Readonly<Record<string, unknown>>, inputs: readonly ImportInput[]): Record<string, unknown> {
  const values = new Map<string, string>();
  const declared = Array.isArray(template['__inputs']) ? (template['__inputs'] as InputDefinition[]) : [];
  for (const def of declared) {
    const name = String(def.name ?? '');
    const type = String(def.type ?? '');
    const given = inputs.find((i) => i.type === type && (i.name === name || i.name === '*'));
    if (!given) throw new MissingImportInputError(name);
    values.set('${' + name + '}', given.value);
  }
  const evaluate = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(/\$\{.+?\}/g, (m) => values.get(m) ?? m);
    if (Array.isArray(value)) return value.map(evaluate);
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => k !== '__inputs')
          .map(([k, v]) => [k, evaluate(v)]),
      );
    return value;
  };
  return evaluate(template) as Record<string, unknown>;
}
