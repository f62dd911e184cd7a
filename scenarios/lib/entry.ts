/**
 * What every k6 entry script exports: the plan's options, one iteration of its scenario's flow,
 * and one iteration of the readiness checks (the `exec` of the plan's readiness scenario, when
 * the plan has one).
 */
import type { Plan } from '../../lib/contract/plan.ts';
import { FlowRunner, type SetupData } from './flows.ts';
import { createReadiness, declareReadinessMetric, type ReadinessChecks } from './readiness.ts';
import { Api, beginIteration, loadPlan, tagSamples } from './runtime.ts';

export function entry(scenario: string): {
  options: Record<string, unknown>;
  setup: () => SetupData;
  iteration: (data?: SetupData) => void;
  readiness: () => void;
} {
  const { plan, text } = loadPlan(scenario);
  const api = new Api(plan);
  const runner = new FlowRunner(api, plan);
  const name = plan.scenario;
  // k6 reads the options in the init context it runs with __VU 0, and only there: the other
  // VUs would each hold their own copy of them (thresholds, scenarios) for nothing. The run's
  // tags go on every sample only where k6's own samples leave the run directory (tagSamples).
  const options = __VU === 0 ? (tagSamples ? plan.k6Options : withoutTags(plan.k6Options)) : {};
  // Under `loadgate run` a VU keeps the plan's text, not its objects: the readiness checks parse
  // it again on a VU's first readiness iteration, so the VUs that only run the load never pay for them.
  const readinessSource: string | Plan | null = plan.readiness ? (text ?? plan) : null;
  if (plan.readiness) declareReadinessMetric();
  let checks: ReadinessChecks | null = null;
  return {
    options,
    setup: () => runner.setup(),
    iteration: (data?: SetupData) => {
      beginIteration(api.plan);
      runner.run(name, data);
    },
    readiness: () => {
      if (readinessSource === null) return;
      checks ??= readinessOf(readinessSource);
      checks.iteration();
    },
  };
}

function readinessOf(source: string | Plan): ReadinessChecks {
  const plan = typeof source === 'string' ? (JSON.parse(source) as Plan) : source;
  return createReadiness(plan, plan.readiness as NonNullable<Plan['readiness']>);
}

function withoutTags(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in options) if (k !== 'tags') out[k] = options[k];
  return out;
}
