/** The `journey` scenario. Bundled by build/ into dist/journey.js; runs with or without the CLI. */
import { journeyFlow } from './lib/flows.ts';
import { Api, loadPlan, tagStage } from './lib/runtime.ts';

const plan = loadPlan('journey');
export const options = plan.k6Options;
const api = new Api(plan);

export default function (): void {
  tagStage(plan);
  journeyFlow(api);
}
