/** The `user` scenario. Bundled by build/ into dist/user.js; runs with or without the CLI. */
import { userFlow } from './lib/flows.ts';
import { Api, loadPlan, tagStage } from './lib/runtime.ts';

const plan = loadPlan('user');
export const options = plan.k6Options;
const api = new Api(plan);

export default function (): void {
  tagStage(plan);
  userFlow(api);
}
