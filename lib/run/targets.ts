/** Which threshold set a run is judged against: flag/env/config, else the phase's own set, else production. */
import { findSet, allSets } from '../../thresholds/sets.ts';
import { parseThresholdSets, type ThresholdSet } from '../contract/thresholds.ts';
import { UsageError } from '../contract/errors.ts';
import type { Config } from '../config/schema.ts';

export function userSets(config: Config): Record<string, ThresholdSet> {
  return config.thresholdSets ? parseThresholdSets(config.thresholdSets, 'config: thresholdSets') : {};
}

export function chooseThresholdSet(config: Config, phase: string | null): { name: string; set: ThresholdSet } {
  const user = userSets(config);
  const name = config.thresholdSet ?? (phase && findSet(phase, user) ? phase : 'production');
  const set = findSet(name, user);
  if (!set) throw new UsageError(`unknown threshold set "${name}"; valid sets: ${Object.keys(allSets(user)).join(', ')}`);
  return { name, set };
}
