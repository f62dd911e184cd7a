/**
 * What every k6 entry script exports: the plan's options, one iteration of its scenario's flow,
 * and one iteration of the readiness checks (the `exec` of the plan's readiness scenario, when
 * the plan has one).
 */
import { FlowRunner } from './flows.ts';
import { Readiness } from './readiness.ts';
import { Api, loadPlan, tagStage } from './runtime.ts';

export function entry(scenario: string): { options: Record<string, unknown>; iteration: () => void; readiness: () => void } {
  const plan = loadPlan(scenario);
  const runner = new FlowRunner(new Api(plan), plan);
  const checks = plan.readiness ? new Readiness(plan, plan.readiness) : null;
  return {
    options: plan.k6Options,
    iteration: () => {
      tagStage(plan);
      runner.run(plan.scenario);
    },
    readiness: () => checks?.iteration(),
  };
}
