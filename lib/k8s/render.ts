/**
 * `loadgate k8s render`: a directory ready for `kubectl apply -k`, for the k6-operator. The same
 * lean bundle and plan.json that `loadgate run` hands to k6 go into a ConfigMap; a TestRun with
 * `parallelism: N` runs them on N runners, each with its execution segment (the operator adds
 * `--execution-segment` itself, the same fractions `loadgate run --segments N` uses). Secrets are
 * referenced from a Secret by `secretKeyRef`, never written: the env var names come from the plan,
 * which holds names only. Each runner writes its raw results and summary to files named after its
 * Pod (`raw.<pod>.ndjson.gz`: the kubelet expands `$(LOADGATE_RUNNER)` in the k6 command line) on
 * a shared volume, from which `collect.yaml` copies them out for `loadgate analyze`.
 *
 * Pure: the plan, the bundle and the names come in, file contents go out (writeK8s writes them).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { K6_OFFLINE_ENV } from '../k6/runner.ts';
import type { Plan } from '../contract/plan.ts';
import { SAMPLE_TAGS_ENV } from '../shared/defaults.ts';
import { RUN_FILES } from '../contract/run-dir.ts';
import {
  ConfigMapSchema,
  KustomizationSchema,
  PersistentVolumeClaimSchema,
  PodSchema,
  TestRunSchema,
  type EnvVar,
  type TestRun,
} from './schema.ts';

/** Where the operator mounts the script's ConfigMap in every k6 Pod (pkg/types/script.go). */
export const OPERATOR_SCRIPT_DIR = '/test';
/** Where the results volume is mounted in each runner. */
export const RESULTS_DIR = '/results';
/** The env var holding the runner's Pod name, which names its files on the volume. */
export const RUNNER_ENV = 'LOADGATE_RUNNER';
/** The group of the grafana/k6 image's user (12345): the results volume is made writable for it. */
export const K6_IMAGE_GID = 12345;
/** ConfigMap keys. */
export const SCRIPT_KEY = 'flow.js';
export const PLAN_KEY = RUN_FILES.plan.name;
/** The files each runner writes (raw.*.ndjson.gz is what `loadgate analyze` looks for in a directory). */
export const RUNNER_RAW = `raw.$(${RUNNER_ENV}).ndjson.gz`;
export const RUNNER_SUMMARY = `summary.$(${RUNNER_ENV}).json`;

export interface RenderInput {
  plan: Plan;
  /** dist/run/flow.js (a run bundle links no source map: see build/bundle.ts). */
  bundle: string;
  parallelism: number;
  namespace: string | null;
  /** The k6 runner image (default grafana/k6 at the pinned k6 version). */
  image: string;
  /** The Secret the plan's env vars are read from. */
  secretName: string;
  /** An existing ReadWriteMany claim for the results; null renders one (`results-pvc.yaml`). */
  resultsClaim: string | null;
  storageClass: string | null;
  /** Stream to InfluxDB too (`--out influxdb=URL`), for Grafana while the test runs. */
  influxUrl: string | null;
  /** Runners on different nodes (the operator's podAntiAffinity shortcut). */
  separate: boolean;
}

export interface Rendered {
  name: string;
  /** File name → contents. */
  files: Record<string, string>;
  /** What to run next, for the terminal. */
  next: string[];
}

/** A DNS-1123 label from the plan: `loadgate-<scenario>-<run id's random part>`. */
export function testRunName(plan: Plan): string {
  const scenario = plan.scenario
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30);
  const suffix = (plan.runId.split('-').pop() ?? '').toLowerCase().replace(/[^a-z0-9]/g, '');
  return ['loadgate', scenario, suffix].filter(Boolean).join('-').slice(0, 57).replace(/-+$/, '');
}

const yaml = (doc: unknown) => stringify(doc, { lineWidth: 0 });

/** k6's arguments, besides the ones the operator adds (segment, address, paused, instance tags). */
export function runnerArguments(plan: Plan, influxUrl: string | null): string[] {
  const args = ['--no-usage-report', '--out', `json=${RESULTS_DIR}/${RUNNER_RAW}`, '--summary-export', `${RESULTS_DIR}/${RUNNER_SUMMARY}`];
  if (influxUrl !== null) args.push('--out', `influxdb=${influxUrl}`);
  // The plan's own tags (k6Options.tags), stated: they reach InfluxDB and the raw files either way.
  const tags = (plan.k6Options['tags'] ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(tags)) args.push('--tag', `${k}=${v}`);
  for (const a of args) {
    // spec.arguments is split on white space by the operator.
    if (/\s/.test(a)) throw new Error(`a k6 argument for spec.arguments holds white space: ${JSON.stringify(a)}`);
  }
  return args;
}

export function renderK8s(r: RenderInput): Rendered {
  const name = testRunName(r.plan);
  const labels = { 'app.kubernetes.io/name': 'loadgate', 'app.kubernetes.io/instance': name };
  const ns = r.namespace === null ? {} : { namespace: r.namespace };
  const claim = r.resultsClaim ?? `${name}-results`;

  const env: EnvVar[] = [
    // The plan next to the script: open() resolves it from the script's directory (/test in the cluster).
    { name: 'LOADGATE_PLAN', value: `./${PLAN_KEY}` },
    ...Object.entries(K6_OFFLINE_ENV).map(([k, v]) => ({ name: k, value: v })),
    // Secrets: names from the plan, values from the Secret, never here.
    ...r.plan.env.map((n) => ({ name: n, valueFrom: { secretKeyRef: { name: r.secretName, key: n } } })),
    // The Pod's name: the kubelet replaces $(LOADGATE_RUNNER) in k6's command line with it.
    { name: RUNNER_ENV, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    // k6's own samples go to InfluxDB: they carry the stage tag, as the dashboards group them.
    ...(r.influxUrl === null ? [] : [{ name: SAMPLE_TAGS_ENV, value: '1' }]),
  ];

  const testRun: TestRun = TestRunSchema.parse({
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: { name, ...ns, labels },
    spec: {
      parallelism: r.parallelism,
      ...(r.separate ? { separate: true } : {}),
      script: { configMap: { name, file: SCRIPT_KEY } },
      arguments: runnerArguments(r.plan, r.influxUrl).join(' '),
      // The initializer (k6 archive and inspect: the operator passes it .env as -e) needs the plan
      // and the secrets' env at init, not the results volume.
      initializer: { image: r.image, env },
      runner: {
        image: r.image,
        metadata: { labels },
        env,
        // The image runs k6 as a non-root user: the volume's group becomes its, so that it may write.
        securityContext: { fsGroup: K6_IMAGE_GID },
        volumes: [{ name: 'results', persistentVolumeClaim: { claimName: claim } }],
        volumeMounts: [{ name: 'results', mountPath: RESULTS_DIR }],
      },
    },
  });

  const configMap = ConfigMapSchema.parse({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...ns, labels },
    data: {
      [SCRIPT_KEY]: r.bundle,
      [PLAN_KEY]: `${JSON.stringify(r.plan, null, 2)}\n`,
    },
  });

  const files: Record<string, string> = {};
  const resources = ['configmap.yaml', 'testrun.yaml'];
  files['configmap.yaml'] = yaml(configMap);
  files['testrun.yaml'] = yaml(testRun);
  if (r.resultsClaim === null) {
    resources.push('results-pvc.yaml');
    files['results-pvc.yaml'] = yaml(
      PersistentVolumeClaimSchema.parse({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: claim, ...ns, labels },
        spec: {
          // Runners on several nodes write at once.
          accessModes: ['ReadWriteMany'],
          resources: { requests: { storage: '1Gi' } },
          ...(r.storageClass === null ? {} : { storageClassName: r.storageClass }),
        },
      }),
    );
  }
  files['kustomization.yaml'] = yaml(
    KustomizationSchema.parse({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      ...ns,
      resources,
    }),
  );
  // Applied after the test, not part of the kustomization: it only reads the volume.
  files['collect.yaml'] = yaml(
    PodSchema.parse({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-collect`, ...ns, labels },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'collect',
            image: 'busybox:1.36',
            command: ['sleep', '3600'],
            volumeMounts: [{ name: 'results', mountPath: RESULTS_DIR, readOnly: true }],
          },
        ],
        volumes: [{ name: 'results', persistentVolumeClaim: { claimName: claim, readOnly: true } }],
      },
    }),
  );
  // The analysis reads plan.json from the first directory it is given: this one.
  files[RUN_FILES.plan.name] = RUN_FILES.plan.serialize(r.plan);

  const n = r.namespace === null ? '' : ` -n ${r.namespace}`;
  const secretArgs = r.plan.env.map((e) => `--from-literal=${e}="$${e}"`).join(' ');
  const next = [
    ...(r.plan.env.length > 0 ? [`kubectl create secret generic ${r.secretName}${n} ${secretArgs}`] : []),
    'kubectl apply -k <this directory>',
    `kubectl get testrun ${name}${n} -w                 # until stage "finished"`,
    `kubectl apply -f <this directory>/collect.yaml && kubectl cp${n} ${name}-collect:${RESULTS_DIR} ./collected`,
    "loadgate analyze <this directory> ./collected   # every runner's file, one execution segment each, merged into <this directory>/analysis.json",
  ];
  return { name, files, next };
}

export async function writeK8s(dir: string, rendered: Rendered): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(rendered.files)) await writeFile(join(dir, file), text);
}
