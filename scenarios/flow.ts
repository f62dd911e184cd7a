/**
 * Any flow of any config: the script `loadgate run` hands to k6 (dist/run/flow.js). The plan
 * (LOADGATE_PLAN) names the flow; on its own, SCENARIO picks a flow of the reference API.
 */
import { entry } from './lib/entry.ts';

const scenario = entry(__ENV['SCENARIO'] ?? 'journey');
export const options = scenario.options;
/** Logs in the session pool before the load (the plan's `sessionPool`). */
export const setup = scenario.setup;
export default scenario.iteration;
/** The readiness checks beside the load (the plan's readiness scenario runs this). */
export const readiness = scenario.readiness;
