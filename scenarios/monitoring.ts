/** The `monitoring` scenario. Bundled by build/ into dist/monitoring.js; runs with or without the CLI. */
import { monitoringFlow } from './lib/flows.ts';
import { Api, loadPlan, tagStage } from './lib/runtime.ts';

const plan = loadPlan('monitoring');
export const options = plan.k6Options;
const api = new Api(plan);

export default function (): void {
  tagStage(plan);
  monitoringFlow(api);
}
