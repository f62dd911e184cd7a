/** `loadgate grafana generate`: regenerate the committed Grafana dashboards from code. */
import type { Command } from 'commander';
import { DataError } from '../../contract/errors.ts';

export function register(program: Command): void {
  const grafana = program.command('grafana').description('Grafana dashboards generated from the endpoint catalogue and the threshold sets');
  grafana
    .command('generate')
    .description(
      "write the dashboards from grafana/generate.ts: grafana/dashboards/*.json (provisioned) and grafana/import/*.json (for Grafana's Import) (--check: only report stale files)",
    )
    .option('--check', 'write nothing; fail when the committed dashboards differ from the generated ones')
    .option('--dir <dir>', 'output directory of the provisioned form (default: grafana/dashboards of this checkout)')
    .option('--import-dir <dir>', 'output directory of the import form, with __inputs (default: grafana/import of this checkout)')
    .option('--slo-set <name>', 'threshold set drawn as the dashed SLO lines and the error and timeout colours', 'production')
    .action(async (flags: { check?: boolean; dir?: string; importDir?: string; sloSet: string }) => {
      const { writeDashboards } = await import('../../../grafana/generate.ts');
      const { written, stale } = await writeDashboards({
        check: flags.check === true,
        sloSetName: flags.sloSet,
        ...(flags.dir ? { dir: flags.dir } : {}),
        ...(flags.importDir ? { importDir: flags.importDir } : {}),
      });
      if (flags.check && stale.length > 0) throw new DataError(`stale dashboards (run loadgate grafana generate): ${stale.join(', ')}`);
      process.stdout.write(written.length > 0 ? `wrote ${written.join(', ')}\n` : 'dashboards up to date\n');
    });
}
