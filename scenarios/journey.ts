/** The `journey` scenario, a flow of the reference API's catalogue. Bundled by build/ into dist/journey.js; runs with or without the CLI. */
import { entry } from './lib/entry.ts';

const scenario = entry('journey');
export const options = scenario.options;
/** Logs in the session pool before the load (the plan's `sessionPool`). */
export const setup = scenario.setup;
export default scenario.iteration;
/** The readiness checks beside the load (the plan's readiness scenario runs this). */
export const readiness = scenario.readiness;
