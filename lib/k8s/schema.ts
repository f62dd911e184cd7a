/**
 * The manifests `loadgate k8s render` writes, as zod schemas written down from the k6-operator's
 * documented TestRun (CRD `testruns.k6.io`, `k6.io/v1alpha1`, k6-operator v1.6.0:
 * api/v1alpha1/testrun_types.go and config/crd/bases/k6.io_testruns.yaml) and from the Kubernetes
 * core objects they use (ConfigMap, PersistentVolumeClaim, Pod, EnvVar, Volume, VolumeMount).
 *
 * Strict: a field the documented spec does not have is an error, so a misspelt field name fails
 * the check instead of being silently ignored by the cluster. Only the parts loadgate writes are
 * spelt out in detail; the other documented fields of a runner Pod are accepted as they come
 * (`unknown`), so that a manifest edited by hand within the spec still passes.
 */
import { z } from 'zod';

/** RFC 1123 subdomain (metadata.name of most objects). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** RFC 1123 label (namespaces, and names that become host names: the operator names runner Jobs `<name>-<i>`). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** ConfigMap and Secret keys. */
export const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
/** A ConfigMap holds at most 1 MiB (Kubernetes' etcd object limit for ConfigMaps). */
export const CONFIG_MAP_MAX_BYTES = 1024 * 1024;

export const ObjectMetaSchema = z
  .object({
    name: z.string().max(253).regex(DNS_SUBDOMAIN, 'must be a DNS-1123 subdomain (lower case, digits, "-" and ".")'),
    namespace: z.string().max(63).regex(DNS_LABEL, 'must be a DNS-1123 label').optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const KeyRefSchema = z.object({ name: z.string().min(1), key: z.string().regex(CONFIG_KEY), optional: z.boolean().optional() }).strict();

/** core/v1 EnvVar: a literal `value`, or `valueFrom` one source. */
export const EnvVarSchema = z
  .object({
    name: z.string().min(1),
    value: z.string().optional(),
    valueFrom: z
      .object({
        secretKeyRef: KeyRefSchema.optional(),
        configMapKeyRef: KeyRefSchema.optional(),
        fieldRef: z
          .object({ apiVersion: z.string().optional(), fieldPath: z.string().min(1) })
          .strict()
          .optional(),
        resourceFieldRef: z.unknown().optional(),
        fileKeyRef: z.unknown().optional(),
      })
      .strict()
      .refine((v) => Object.values(v).filter((x) => x !== undefined).length === 1, { error: 'valueFrom must have exactly one source' })
      .optional(),
  })
  .strict()
  .refine((e) => !(e.value !== undefined && e.valueFrom !== undefined), { error: 'an env var has a value or a valueFrom, not both' });
export type EnvVar = z.infer<typeof EnvVarSchema>;

export const VolumeMountSchema = z
  .object({
    name: z.string().min(1),
    mountPath: z.string().startsWith('/'),
    readOnly: z.boolean().optional(),
    subPath: z.string().optional(),
    /** Expanded from the container's env (`$(VAR)`) per Pod: one directory per runner on a shared volume. */
    subPathExpr: z.string().optional(),
    mountPropagation: z.string().optional(),
    recursiveReadOnly: z.string().optional(),
  })
  .strict()
  .refine((m) => !(m.subPath !== undefined && m.subPathExpr !== undefined), { error: 'subPath and subPathExpr are mutually exclusive' });

export const VolumeSchema = z
  .object({
    name: z.string().min(1),
    persistentVolumeClaim: z
      .object({ claimName: z.string().min(1), readOnly: z.boolean().optional() })
      .strict()
      .optional(),
    configMap: z
      .object({ name: z.string().min(1) })
      .loose()
      .optional(),
    emptyDir: z.object({}).loose().optional(),
  })
  .strict();

/** The k6-operator's Pod (spec.runner, spec.initializer, spec.starter): its documented fields. */
export const OperatorPodSchema = z
  .object({
    disabled: z.boolean().optional(),
    affinity: z.unknown().optional(),
    automountServiceAccountToken: z.string().optional(),
    env: z.array(EnvVarSchema).optional(),
    envFrom: z.array(z.unknown()).optional(),
    image: z.string().min(1).optional(),
    imagePullPolicy: z.enum(['Always', 'Never', 'IfNotPresent']).optional(),
    imagePullSecrets: z.array(z.object({ name: z.string() }).strict()).optional(),
    metadata: z
      .object({ annotations: z.record(z.string(), z.string()).optional(), labels: z.record(z.string(), z.string()).optional() })
      .strict()
      .optional(),
    nodeSelector: z.record(z.string(), z.string()).optional(),
    tolerations: z.array(z.unknown()).optional(),
    topologySpreadConstraints: z.array(z.unknown()).optional(),
    resources: z
      .object({
        limits: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
        requests: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      })
      .strict()
      .optional(),
    serviceAccountName: z.string().optional(),
    securityContext: z.unknown().optional(),
    containerSecurityContext: z.unknown().optional(),
    readinessProbe: z.unknown().optional(),
    livenessProbe: z.unknown().optional(),
    initContainers: z.array(z.unknown()).optional(),
    volumes: z.array(VolumeSchema).optional(),
    volumeMounts: z.array(VolumeMountSchema).optional(),
    priorityClassName: z.string().optional(),
    schedulerName: z.string().optional(),
  })
  .strict();

/** TestRunSpec (api/v1alpha1/testrun_types.go): `parallelism` and `script` are required. */
export const TestRunSpecSchema = z
  .object({
    /** Where the script is: exactly one of a ConfigMap (mounted at /test), a volume claim, a file in the image. */
    script: z
      .object({
        configMap: z
          .object({ name: z.string().min(1), file: z.string().regex(CONFIG_KEY).optional() })
          .strict()
          .optional(),
        volumeClaim: z
          .object({ name: z.string().min(1), file: z.string().optional(), readOnly: z.boolean().optional() })
          .strict()
          .optional(),
        localFile: z.string().optional(),
      })
      .strict()
      .refine((s) => [s.configMap, s.volumeClaim, s.localFile].filter((x) => x !== undefined).length === 1, {
        error: 'script must have exactly one of configMap, volumeClaim, localFile',
      }),
    /** The number of k6 runners; each gets `--execution-segment` of the N equal segments. */
    parallelism: z
      .number()
      .int()
      .min(1)
      .max(2 ** 31 - 1),
    separate: z.boolean().optional(),
    /** Arguments to k6, one space-separated string. */
    arguments: z.string().optional(),
    args: z.array(z.string()).optional(),
    ports: z.array(z.unknown()).optional(),
    initializer: OperatorPodSchema.optional(),
    starter: OperatorPodSchema.optional(),
    runner: OperatorPodSchema.optional(),
    quiet: z.enum(['true', 'false']).optional(),
    paused: z.enum(['true', 'false']).optional(),
    scuttle: z.unknown().optional(),
    cleanup: z.literal('post').optional(),
    testRunId: z.string().optional(),
    token: z.string().optional(),
  })
  .strict();

export const TestRunSchema = z
  .object({
    apiVersion: z.literal('k6.io/v1alpha1'),
    kind: z.literal('TestRun'),
    metadata: ObjectMetaSchema.extend({
      // Runner Jobs and their host names are `<name>-<index>`: keep room for the index.
      name: z.string().max(57).regex(DNS_LABEL, 'must be a DNS-1123 label (it names the runner Jobs and their host names)'),
    }).strict(),
    spec: TestRunSpecSchema,
  })
  .strict();
export type TestRun = z.infer<typeof TestRunSchema>;

export const ConfigMapSchema = z
  .object({
    apiVersion: z.literal('v1'),
    kind: z.literal('ConfigMap'),
    metadata: ObjectMetaSchema,
    data: z.record(z.string().regex(CONFIG_KEY, 'must be a valid ConfigMap key'), z.string()),
  })
  .strict()
  .refine((c) => Object.entries(c.data).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0) < CONFIG_MAP_MAX_BYTES, {
    error: `a ConfigMap holds at most ${CONFIG_MAP_MAX_BYTES} bytes`,
  });
export type ConfigMap = z.infer<typeof ConfigMapSchema>;

export const PersistentVolumeClaimSchema = z
  .object({
    apiVersion: z.literal('v1'),
    kind: z.literal('PersistentVolumeClaim'),
    metadata: ObjectMetaSchema,
    spec: z
      .object({
        accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'])).min(1),
        resources: z.object({ requests: z.object({ storage: z.string() }).strict() }).strict(),
        storageClassName: z.string().optional(),
      })
      .strict(),
  })
  .strict();

/** The collector: a Pod that mounts the results volume so that `kubectl cp` can copy the runners' files out. */
export const PodSchema = z
  .object({
    apiVersion: z.literal('v1'),
    kind: z.literal('Pod'),
    metadata: ObjectMetaSchema,
    spec: z
      .object({
        restartPolicy: z.enum(['Always', 'OnFailure', 'Never']),
        containers: z
          .array(
            z
              .object({
                name: z.string().regex(DNS_LABEL),
                image: z.string().min(1),
                command: z.array(z.string()).optional(),
                volumeMounts: z.array(VolumeMountSchema).optional(),
              })
              .strict(),
          )
          .min(1),
        volumes: z.array(VolumeSchema).optional(),
      })
      .strict(),
  })
  .strict();

/** kustomize's Kustomization (kustomize.config.k8s.io/v1beta1), the fields written. */
export const KustomizationSchema = z
  .object({
    apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
    kind: z.literal('Kustomization'),
    namespace: z.string().regex(DNS_LABEL).optional(),
    resources: z.array(z.string().min(1)).min(1),
    labels: z.array(z.object({ pairs: z.record(z.string(), z.string()), includeSelectors: z.boolean().optional() }).strict()).optional(),
  })
  .strict();
