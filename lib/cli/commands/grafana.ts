/** `loadgate grafana generate`: regenerate the committed Grafana dashboards from code. */
import type { Command } from 'commander';
import { DataError } from '../errors.ts';

export function register(program: Command): void {
  const grafana = program.command('grafana').description('Grafana dashboards generated from the endpoint catalogue and the threshold sets');
  grafana
    .command('generate')
    .description('write grafana/dashboards/*.json from grafana/generate.ts (--check: only report stale files)')
    .option('--check', 'write nothing; fail when the committed dashboards differ from the generated ones')
    .option('--dir <dir>', 'output directory (default: grafana/dashboards of this checkout)')
    .option('--slo-set <name>', 'threshold set drawn as the dashed SLO lines', 'production')
    .action(async (flags: { check?: boolean; dir?: string; sloSet: string }) => {
      const { writeDashboards } = await import('../../../grafana/generate.ts');
      const { written, stale } = await writeDashboards({
        check: flags.check === true,
        sloSetName: flags.sloSet,
        ...(flags.dir ? { dir: flags.dir } : {}),
      });
      if (flags.check && stale.length > 0) throw new DataError(`stale dashboards (run loadgate grafana generate): ${stale.join(', ')}`);
      process.stdout.write(written.length > 0 ? `wrote ${written.join(', ')}\n` : 'dashboards up to date\n');
    });
}
