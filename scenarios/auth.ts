/** The `auth` scenario. Bundled by build/ into dist/auth.js; runs with or without the CLI. */
import { authFlow } from './lib/flows.ts';
import { Api, loadPlan, tagStage } from './lib/runtime.ts';

const plan = loadPlan('auth');
export const options = plan.k6Options;
const api = new Api(plan);

export default function (): void {
  tagStage(plan);
  authFlow(api);
}
