/**
 * Hooks the runner (lib/run/run.ts) calls during a run. Optional sinks (InfluxDB events,
 * progress displays) implement this; an observer that throws is reported as a warning and never
 * stops the run. In the contract: execute calls it and publish implements it, and neither imports
 * the other.
 */
import type { Plan, PlanStage } from './plan.ts';
import type { RunRecord } from './run.ts';

export interface RunObserver {
  readonly name: string;
  /**
   * The run is about to spawn k6; `record.status` is `running`. `runDir` holds the files k6 is
   * about to write (`record.rawFiles`, relative to it), for observers that follow them live.
   */
  onStart?(plan: Plan, record: RunRecord, runDir: string): Promise<void> | void;
  /** The planned stage timeline moved to `stage` at `atMs` (epoch ms). */
  onStage?(plan: Plan, stage: PlanStage, atMs: number): Promise<void> | void;
  /** k6 ended (any status). */
  onEnd?(plan: Plan, record: RunRecord): Promise<void> | void;
  /** The analysis and verdict were written into `runDir`. */
  onResults?(runDir: string): Promise<void> | void;
  close?(): Promise<void> | void;
}
