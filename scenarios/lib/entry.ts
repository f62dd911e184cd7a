/** What every k6 entry script exports: the plan's options, and one iteration of its scenario's flow. */
import { FlowRunner } from './flows.ts';
import { Api, loadPlan, tagStage } from './runtime.ts';

export function entry(scenario: string): { options: Record<string, unknown>; iteration: () => void } {
  const plan = loadPlan(scenario);
  const runner = new FlowRunner(new Api(plan), plan);
  return {
    options: plan.k6Options,
    iteration: () => {
      tagStage(plan);
      runner.run(plan.scenario);
    },
  };
}
