/** Every subcommand, registered in this order; each file owns its flags and its action. */
import type { Command } from 'commander';
import { register as run } from './run.ts';
import { register as doctor } from './doctor.ts';
import { register as target } from './target.ts';
import { register as grafana } from './grafana.ts';
import { register as verdict } from './verdict.ts';
import { register as report } from './report.ts';
import { register as demo } from './demo.ts';
import { register as analyze } from './analyze.ts';
import { register as init } from './init.ts';
import { register as k8s } from './k8s.ts';
import { register as history } from './history.ts';
import { register as trends } from './trends.ts';

export type Register = (program: Command) => void;

export const commands: Register[] = [run, doctor, target, grafana, analyze, verdict, report, demo, init, history, trends, k8s];
