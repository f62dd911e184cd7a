/** The reports' public API: pure renderers, and file-level helpers over run directories. */
export { renderRunReport, renderComparison, type RunReportInput, type ComparisonInput } from './render.ts';
export { writeRunReport, writeComparison, defaultLabels, type ComparisonOptions } from './files.ts';
export { checkComparable, type ComparedRun, type Comparability } from './compare-model.ts';
export { NOISE } from '../shared/stats.ts';
