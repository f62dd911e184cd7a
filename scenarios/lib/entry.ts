/**
 * What every k6 entry script exports: the plan's options, one iteration of its scenario's flow,
 * and one iteration of the readiness checks (the `exec` of the plan's readiness scenario, when
 * the plan has one).
 */
import { FlowRunner, type SetupData } from './flows.ts';
import { Readiness } from './readiness.ts';
import { Api, loadPlan, tagStage } from './runtime.ts';

export function entry(scenario: string): {
  options: Record<string, unknown>;
  setup: () => SetupData;
  iteration: (data?: SetupData) => void;
  readiness: () => void;
} {
  const plan = loadPlan(scenario);
  const runner = new FlowRunner(new Api(plan), plan);
  // Built on a VU's first readiness iteration: the VUs that only run the load never pay for it.
  let checks: Readiness | null = null;
  return {
    options: plan.k6Options,
    setup: () => runner.setup(),
    iteration: (data?: SetupData) => {
      tagStage(plan);
      runner.run(plan.scenario, data);
    },
    readiness: () => {
      if (!plan.readiness) return;
      checks ??= new Readiness(plan, plan.readiness);
      checks.iteration();
    },
  };
}
