/**
 * Where loadgate's points live in InfluxDB: the measurements it writes (lib/influx/points.ts
 * says what each holds) and the retention policy of the points that outlive raw data. A stored
 * layout like the run directory's files: InfluxDB's writer and the Grafana dashboards
 * (grafana/generate.ts) both derive from it. Pure; imports nothing.
 */

/**
 * Harness points that must outlive raw data (one summary per endpoint per run, one per run)
 * go to this retention policy, created with an infinite duration and never the default. k6's
 * samples and the live-only points go to the database's default policy, whose duration the
 * operator chooses (e.g. `ALTER RETENTION POLICY "autogen" ON "k6" DURATION 30d`).
 */
export const HISTORY_RP = 'loadgate_history';

/** The measurements loadgate writes (k6 writes its own samples under k6's names). */
export const MEASUREMENTS = {
  events: 'loadgate_events',
  targets: 'loadgate_targets',
  summary: 'loadgate_summary',
  runs: 'loadgate_runs',
  live: 'loadgate_live',
  liveTotals: 'loadgate_live_totals',
  liveVus: 'loadgate_live_vus',
} as const;
