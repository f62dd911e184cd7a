/**
 * Load profiles as data. Each stage ramps the offered request rate linearly from `from` to
 * `to`, expressed as a multiple of the configured rate (`load.rps`), over `durationS` seconds
 * (before the duration scale). Pure: shared by Node and the k6 scripts. A config file may add
 * profiles of the same shape under `profiles` (validated by lib/config/schema.ts).
 */

import type { Config, LoadProfile, ProfileStage } from './schema.ts';

export type { LoadProfile, ProfileStage };

function steps(levels: readonly number[], rampS: number, holdS: number): ProfileStage[] {
  const out: ProfileStage[] = [];
  let previous = 0;
  for (const level of levels) {
    const pct = `${Math.round(level * 100)}%`;
    out.push({ name: `ramp-${pct}`, durationS: rampS, from: previous, to: level });
    out.push({ name: `hold-${pct}`, durationS: holdS, from: level, to: level });
    previous = level;
  }
  return out;
}

export const LOAD_PROFILES = /* @__PURE__ */ loadProfiles();

// A function, so that a bundle which never reads the profiles (dist/run/*.js) drops them whole.
function loadProfiles() {
  return {
    smoke: {
      description: 'A trickle (5 % of the rate) to check that every endpoint answers.',
      stages: [{ name: 'smoke', durationS: 20, from: 0.05, to: 0.05 }],
      abortOnFail: false,
    },
    load: {
      description: 'Ramp up to the target rate, hold it, ramp down: the standard acceptance run.',
      stages: [
        { name: 'ramp-up', durationS: 60, from: 0, to: 1 },
        { name: 'hold', durationS: 180, from: 1, to: 1 },
        { name: 'ramp-down', durationS: 30, from: 1, to: 0 },
      ],
      abortOnFail: false,
    },
    stress: {
      description: 'Steps past the target rate (50 % to 300 %) to find the knee.',
      stages: steps([0.5, 1, 1.5, 2, 3], 20, 40),
      abortOnFail: false,
    },
    spike: {
      description: 'A quiet base, a sudden spike to 300 %, and the recovery after it.',
      stages: [
        { name: 'base', durationS: 30, from: 0.2, to: 0.2 },
        { name: 'spike-up', durationS: 10, from: 0.2, to: 3 },
        { name: 'spike-hold', durationS: 30, from: 3, to: 3 },
        { name: 'spike-down', durationS: 10, from: 3, to: 0.2 },
        { name: 'recovery', durationS: 30, from: 0.2, to: 0.2 },
      ],
      abortOnFail: false,
    },
    soak: {
      description: 'A long hold at 80 % of the rate, for leaks and slow degradation.',
      stages: [
        { name: 'ramp-up', durationS: 60, from: 0, to: 0.8 },
        { name: 'hold', durationS: 1800, from: 0.8, to: 0.8 },
        { name: 'ramp-down', durationS: 30, from: 0.8, to: 0 },
      ],
      abortOnFail: false,
    },
    breakpoint: {
      description: 'A steady ramp to 500 % of the rate until a threshold aborts the test.',
      stages: [{ name: 'ramp', durationS: 600, from: 0, to: 5 }],
      abortOnFail: true,
    },
  } satisfies Record<string, LoadProfile>;
}

export type LoadProfileName = keyof typeof LOAD_PROFILES;
export const LOAD_PROFILE_NAMES = /* @__PURE__ */ Object.keys(LOAD_PROFILES) as LoadProfileName[];

export function isLoadProfileName(name: string): name is LoadProfileName {
  return Object.hasOwn(LOAD_PROFILES, name);
}

/** Every profile a run with this config may use: the built-in ones, then the config's own. */
export function profileNames(config: Pick<Config, 'profiles'>): string[] {
  return [...LOAD_PROFILE_NAMES, ...Object.keys(config.profiles)];
}

/** The named profile, built-in or from the config (the config may not rename a built-in). */
export function findProfile(config: Pick<Config, 'profiles'>, name: string): LoadProfile | undefined {
  if (isLoadProfileName(name)) return LOAD_PROFILES[name];
  return Object.hasOwn(config.profiles, name) ? config.profiles[name] : undefined;
}
