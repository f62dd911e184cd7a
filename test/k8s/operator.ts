/**
 * What the k6-operator (v1.6.0) would run for a TestRun, rebuilt from its source so that the
 * rendered manifests can be exercised without a cluster: the runner's k6 command line
 * (pkg/resources/jobs/runner.go NewRunnerJob, pkg/segmentation NewCommandFragments), the
 * kubelet's `$(VAR)` expansion of that command line, and the starter's PATCH (pkg/resources/containers
 * curl_start.go) that resumes the paused runners together. No Kubernetes object is applied anywhere.
 */
import type { EnvVar, TestRun } from '../../lib/k8s/schema.ts';

/** pkg/segmentation NewCommandFragments: runner `index` (1-based) of `total`. */
export function segmentFragments(index: number, total: number): string[] {
  const part = (i: number) => (i === 0 ? '0' : i === total ? '1' : `${i}/${total}`);
  const sequence = ['0', ...Array.from({ length: total - 1 }, (_, i) => `${i + 1}/${total}`), '1'].join(',');
  return [`--execution-segment=${part(index - 1)}:${part(index)}`, `--execution-segment-sequence=${sequence}`];
}

/** The runner container's command, as NewRunnerJob builds it for a ConfigMap script (`address` replaces 0.0.0.0:6565). */
export function runnerCommand(t: TestRun, index: number, address: string): string[] {
  const spec = t.spec;
  const cmd = ['k6', 'run'];
  if (spec.quiet !== 'false') cmd.push('--quiet');
  if (spec.parallelism > 1) cmd.push(...segmentFragments(index, spec.parallelism));
  cmd.push(...(spec.args && spec.args.length > 0 ? spec.args : (spec.arguments ?? '').split(/\s+/).filter(Boolean)));
  const file = spec.script.configMap?.file ?? 'test.js';
  cmd.push(`/test/${file}`, `--address=${address}`);
  if (spec.paused !== 'false') cmd.push('--paused');
  cmd.push('--tag', `instance_id=${index}`, '--tag', `testrun_name=${t.metadata.name}`);
  return cmd;
}

/** The kubelet's expansion of `$(VAR)` in a command line, from the container's env (undefined ones stay as written). */
export function expandCommand(cmd: readonly string[], env: Readonly<Record<string, string>>): string[] {
  return cmd.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m));
}

/**
 * The runner container's env as Kubernetes resolves it: literal values, Secret keys from `secrets`
 * (what `kubectl create secret` put there), and the Pod's own name for `metadata.name`.
 */
export function resolveEnv(
  env: readonly EnvVar[],
  o: { secrets: Record<string, Record<string, string>>; podName: string },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.value !== undefined) out[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      const v = o.secrets[ref.name]?.[ref.key];
      if (v === undefined && !ref.optional) throw new Error(`Secret ${ref.name} has no key ${ref.key} (the Pod would not start)`);
      if (v !== undefined) out[e.name] = v;
    }
    if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') out[e.name] = o.podName;
  }
  return out;
}
