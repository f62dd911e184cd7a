/** Number and time formatting shared by the report models; every figure a report shows goes through here. */
import type { PercentileKey } from '../contract/percentiles.ts';

export const DASH = '—';

export function fmtInt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return Math.round(v).toLocaleString('en-US');
}

export function fmtMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  const a = Math.abs(v);
  if (a >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (a >= 100) return `${Math.round(v).toLocaleString('en-US')} ms`;
  if (a >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

/** A ratio (0..1) as a percentage. */
export function fmtPct(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  if (v === 0) return '0 %';
  const pct = v * 100;
  if (Math.abs(pct) < 10 ** -digits) return `${v < 0 ? '>−' : '<'}${(10 ** -digits).toFixed(digits)} %`;
  return `${pct.toFixed(digits)} %`;
}

export function fmtRps(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

/** Seconds as 1h 02m 03s / 4m 05s / 12s. */
export function fmtDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return DASH;
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m ${String(sec).padStart(2, '0')}s`;
  if (m > 0) return `${m}m ${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

/** A value in a verdict row's unit. */
export function fmtUnit(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined) return DASH;
  switch (unit) {
    case 'ms':
      return fmtMs(v);
    case 'ratio':
    case 'rate':
      return fmtPct(v);
    case '%':
    case 'percent':
      return `${v.toFixed(2)} %`;
    case 'rps':
    case 'RPS':
    case '1/s':
      return `${fmtRps(v)} RPS`;
    default:
      return `${Number.isInteger(v) ? v : v.toFixed(2)} ${unit}`.trim();
  }
}

/** Signed delta with an explicit + / −. */
export function signed(text: string, v: number): string {
  if (v > 0) return `+${text}`;
  if (v < 0) return `−${text.replace(/^-/, '')}`;
  return text;
}

/** Rounds for embedding in chart data: 3–4 significant figures keep the file small. */
export function round(v: number): number {
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v);
  if (a >= 10) return Math.round(v * 10) / 10;
  if (a >= 1) return Math.round(v * 100) / 100;
  return Math.round(v * 1000) / 1000;
}

/** JSON safe to place inside <script type="application/json">: nothing in it can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export type Metric = PercentileKey | 'max' | 'error_rate' | 'timeout_rate' | 'rps' | 'other';

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
  '#393b79',
  '#ad494a',
  '#637939',
  '#e6550d',
  '#7b4173',
  '#843c39',
  '#3182bd',
  '#31a354',
  '#756bb1',
  '#636363',
];

export function colorAt(i: number): string {
  return PALETTE[i % PALETTE.length] ?? '#333';
}
