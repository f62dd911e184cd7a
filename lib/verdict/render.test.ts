import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../contract/errors.ts';
import { BUILTIN_THRESHOLDS } from '../../thresholds/sets.ts';
import { computeVerdict } from './compute.ts';
import { exitCode } from '../contract/exit.ts';
import { healthyRun, makeAnalysis, type EndpointSpec } from '../../test/support/verdict-fixtures.ts';
import { formatMargin, rowMessage } from '../shared/verdict-format.ts';
import { judgeRun } from './judge.ts';
import { renderJunit } from './junit.ts';
import { codeSpan, escapeMarkdown, GITHUB_COMMENT_LIMIT, renderMarkdown } from './markdown.ts';
import { VerdictSchema, type VerdictRow } from '../contract/verdict.ts';

const { production, phase3, baseline } = BUILTIN_THRESHOLDS.sets;
const PROD = { name: 'production', set: production };

const base: VerdictRow = {
  target: 'p95',
  endpoint: 'auth.login',
  group: 'auth',
  stage: 'all',
  gating: true,
  status: 'fail',
  measured: 2013.4,
  threshold: 500,
  comparator: '<',
  unit: 'ms',
  margin: 1513.4,
  marginRel: 3.0268,
  requests: 100,
  censored: false,
  reason: null,
};

describe('rowMessage', () => {
  it.each<[Partial<VerdictRow>, string]>([
    [{}, 'auth.login p95 2013.4 ms > 500 ms target (+1513.4 ms, +302.7 %)'],
    [
      {
        target: 'errorRate',
        unit: 'ratio',
        measured: 0.078,
        threshold: 0.05,
        margin: 0.028,
        marginRel: 0.56,
        reason: '150 of 1920 requests failed',
      },
      'auth.login error rate 7.8 % > 5 % target (+2.8 pp, +56 %): 150 of 1920 requests failed',
    ],
    [
      { target: 'timeoutRate', unit: 'ratio', comparator: '<=', measured: 0.026, threshold: 0, margin: 0.026, marginRel: null },
      'auth.login timeout rate 2.6 % > 0 % target (+2.6 pp)',
    ],
    [
      {
        target: 'throughput',
        endpoint: '*',
        stage: 'hold',
        unit: 'rps',
        comparator: '>=',
        measured: 73.3,
        threshold: 100,
        margin: -26.7,
        marginRel: -0.267,
      },
      'run throughput in hold 73.3 RPS < 100 RPS target (-26.7 RPS, -26.7 %)',
    ],
    [
      { measured: null, margin: null, marginRel: null, status: 'inconclusive', reason: 'no requests' },
      'auth.login p95: not measured, target < 500 ms (no requests)',
    ],
  ])('%j', (over, expected) => {
    expect(rowMessage({ ...base, ...over })).toBe(expected);
  });

  it('margin of zero', () => {
    expect(formatMargin({ margin: 0, marginRel: 0, unit: 'ms' })).toBe('±0 ms, ±0 %');
  });
});

describe('exitCode of a verdict', () => {
  it.each([
    ['pass', false, ExitCode.ok],
    ['pass', true, ExitCode.ok],
    ['fail', false, ExitCode.breach],
    ['fail', true, ExitCode.breach],
    ['inconclusive', false, ExitCode.ok],
    ['inconclusive', true, ExitCode.inconclusive],
  ] as const)('%s, failOnInconclusive=%s → %i', (status, failOnInconclusive, code) => {
    expect(exitCode({ verdict: { status }, failOnInconclusive })).toBe(code);
  });
});

describe('renderJunit', () => {
  const verdict = computeVerdict(healthyRun(120, { login: { p95: 2013.4, http5xx: 200 } }), production, { setName: 'production' });
  const xml = renderJunit(verdict);

  it('has one testcase per gating target × endpoint, and failures that state measured vs target', () => {
    const gating = verdict.rows.filter((r) => r.gating).length;
    expect(xml.match(/<testcase /g)?.length).toBe(gating);
    expect(xml).toContain('<testsuite name="loadgate.production.auth"');
    expect(xml).toContain('<testsuite name="loadgate.production.run"');
    expect(xml).toContain('message="auth.login p95 2013.4 ms > 500 ms target (+1513.4 ms, +302.7 %)" type="p95"');
    expect(xml).toMatch(/message="auth\.login error rate 10\.42 % > 5 % target \(\+5\.42 pp, \+108\.3 %\): 200 of 1920 requests failed"/);
    expect(xml).toMatch(/<testsuites [^>]*failures="2"/);
  });

  it('inconclusive rows are skipped with the reason in system-out', () => {
    const v = computeVerdict(healthyRun(60), phase3, { setName: 'phase3' });
    const out = renderJunit(v);
    expect(out).toContain('<skipped/>');
    expect(out).toContain('inconclusive: run throughput in hold');
  });
});

describe('renderMarkdown', () => {
  it('leads with the badge, lists failing rows first and summarises timeouts', () => {
    const a = healthyRun(120, { login: { p95: 2013.4, timeouts: 40, censored: true } });
    const v = computeVerdict(a, production, { setName: 'production' });
    const md = renderMarkdown(v, a);
    expect(md.split('\n')[0]).toBe('## loadgate ❌ FAIL against `production`');
    expect(md).toContain('**Load:** ✅ valid: the generator offered the load and the system served it: offered 120 RPS');
    expect(md).toMatch(/\*\*FAIL:\*\* 2 breached · 0 inconclusive · \d+ met, of \d+ targets\./);
    const firstRow = md.split('\n').find((l) => l.startsWith('| ❌'));
    expect(firstRow).toContain(
      '| auth.login | p95 | 2013.4 ms (censored) | < 500 ms | +1513.4 ms, +302.7 % | all | censored: the true P95 is at least 2013.4 ms',
    );
    expect(md).toContain('**Timeouts:** timeouts on 1 of 3 endpoints');
    expect(md).toContain('<details><summary>');
  });

  it('says when the load was not valid, and why', () => {
    const a = healthyRun(120, {}, 400);
    const md = renderMarkdown(computeVerdict(a, phase3, { requestsPerIteration: 1 }), a);
    expect(md).toContain('## loadgate ⚠️ INCONCLUSIVE');
    expect(md).toContain('**Load:** ⚠️ not valid');
    expect(md).toMatch(/- stage hold: k6 dropped 400 iterations/);
  });
});

describe('renderJunit: the production gate', () => {
  it('adds a second testsuite with the production rows, and none when the gating set is production', () => {
    const a = healthyRun(120, { login: { p95: 700 } });
    const v = computeVerdict(a, baseline, { setName: 'baseline', production: PROD });
    const xml = renderJunit(v);
    expect(xml).toContain('<testsuite name="production gate (production)"');
    expect(xml).toContain('<property name="verdict" value="FAIL against production: 1 of 10 targets breached"/>');
    expect(xml).toContain('classname="loadgate.production-gate.auth.login" name="auth.login p95 &lt; 500 ms"');
    expect(xml).toContain('<failure message="auth.login p95 700 ms > 500 ms target (+200 ms, +40 %)" type="p95"/>');
    // The baseline has no targets of its own: every testcase is the production gate's.
    expect(xml.match(/<testcase /g)?.length).toBe(v.production!.rows.length);
    const same = renderJunit(computeVerdict(a, production, { setName: 'production', production: PROD }));
    expect(same).not.toContain('production gate');
  });
});

/** Pipes that separate cells (not escaped with a backslash). */
function cellPipes(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') n++;
  }
  return n;
}

/** Characters that would start markup when not escaped. */
function unescaped(line: string, chars: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (chars.includes(line[i]!)) out.push(line[i]!);
  }
  return out;
}

describe('renderMarkdown: two questions, escaped, under the comment limit', () => {
  it('the baseline reads "no targets of its own" and FAIL against production, never PASS', () => {
    const a = healthyRun(120, { login: { p95: 2000, timeouts: 600, censored: true } });
    const md = renderMarkdown(computeVerdict(a, baseline, { setName: 'baseline', production: PROD }), a);
    expect(md.split('\n')[0]).toBe('## loadgate ➖ no targets of its own (`baseline`) · ❌ FAIL against `production`');
    expect(md).toContain("| met this run's own targets? (decides the exit code) | baseline | ➖ NO TARGETS | no targets of its own |");
    expect(md).toMatch(/\| how far from production\? \| production \| ❌ FAIL \| 3 of 10 targets breached \|/);
    expect(md).not.toContain('PASS');
    expect(md).toContain('No targets of its own: measured only.');
    expect(md).toContain('### Against `production` (the production gate; does not decide the exit code)');
  });

  it('escapes what comes from data', () => {
    expect(escapeMarkdown('a|b <img src=x> *x* _y_ `z` [l](u) ~s~ @team \\ &amp;')).toBe(
      'a\\|b &lt;img src=x&gt; \\*x\\* \\_y\\_ \\`z\\` \\[l\\](u) \\~s\\~ @\u200bteam \\\\ &amp;amp;',
    );
    expect(escapeMarkdown('line\nbreak\u001b[2J')).toBe('line break \\[2J');
    expect(escapeMarkdown('# head', 160, true)).toBe('\\# head');
    expect(escapeMarkdown('1. item', 160, true)).toBe('1\\. item');
    expect(escapeMarkdown('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`x')).toBe('`` `x ``');
  });

  it('500 endpoints with hostile names: breaches first, capped tables, under 65,536 characters, every name as text', () => {
    const hostile = (i: number) =>
      [
        `<script>alert(${i})</script>`,
        `a|b|c-${i}`,
        `**bold-${i}** _it_ ~~s~~`,
        `[link-${i}](https://evil.example/x) ![img](x)`,
        `\`code-${i}\` \\| @org/team`,
        `# heading-${i}\n- item | ${'long-'.repeat(60)}`,
      ][i % 6]!;
    const endpoints: EndpointSpec[] = Array.from({ length: 500 }, (_, i) => ({
      name: hostile(i),
      group: `g<${i % 7}>`,
      byStage: { hold: { requests: 200, timeouts: 40, http5xx: 20, p95: 2500, censored: true } },
    }));
    const a = makeAnalysis({ stages: [{ name: 'hold|<b>', durationS: 60, from: 100, to: 100 }], endpoints });
    const v = computeVerdict(a, phase3, { setName: 'phase3', production: PROD });
    const md = renderMarkdown(v, a);
    expect(md.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    // 1,500 breaches per set: 50 listed per set, the rest counted.
    expect(md.match(/^\| ❌ /gm)?.length).toBe(100);
    // Breaches of the gating set come first, then the production gate's, each capped and counted.
    const own = md.indexOf('### Against `phase3`');
    const prod = md.indexOf('### Against `production`');
    expect(own).toBeGreaterThan(0);
    expect(prod).toBeGreaterThan(own);
    expect(md.match(/… 1450 more rows, see report\.html \/ verdict\.json/g)?.length).toBe(2);
    expect(md).toContain('- … 490 more, see report.html');
    let columns = 0;
    for (const line of md.split('\n')) {
      if (line.startsWith('|')) {
        // Every table row has exactly the columns of its table's header: no name can add a cell.
        if (columns === 0) columns = cellPipes(line);
        expect(cellPipes(line), line).toBe(columns);
        expect(unescaped(line, '*_[]~`'), line).toEqual([]);
      } else columns = 0;
      // No tag but ours: every '<' from data is an entity, or inside a code span (shown verbatim).
      const text = line.replace(/`[^`]*`/g, '');
      for (const m of text.matchAll(/<(?!\/?(details|summary)>| )/g)) expect.fail(`raw < in: ${text.slice(m.index, m.index + 40)}`);
      expect(line).not.toMatch(/^#(?!#)/);
    }
    expect(md).toContain('&lt;script&gt;alert(0)&lt;/script&gt;');
    expect(md).toContain('a\\|b\\|c-1');
    expect(md).not.toMatch(/@org/);
  });
});

describe('judgeRun', () => {
  it('writes verdict.json, junit.xml and summary.md and returns the verdict', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadgate-verdict-'));
    try {
      const a = healthyRun(120, { me: { p95: 900 } });
      await writeFile(join(dir, 'analysis.json'), JSON.stringify(a));
      const r = await judgeRun(dir, { set: 'production', now: new Date('2025-01-02T03:04:05Z') });
      expect(exitCode({ verdict: r.verdict })).toBe(ExitCode.breach);
      const v = VerdictSchema.parse(JSON.parse(await readFile(r.files.verdict, 'utf8')));
      expect(v).toMatchObject({
        status: 'fail',
        generatedAt: '2025-01-02T03:04:05.000Z',
        set: { name: 'production', thresholdsVersion: 1 },
      });
      expect(await readFile(r.files.junit, 'utf8')).toContain('user.me p95 900 ms > 500 ms target');
      expect(await readFile(r.files.summary, 'utf8')).toBe(r.markdown);
      // default set: the run's phase (phase3 in the fixture)
      expect((await judgeRun(dir)).verdict.set.name).toBe('phase3');
      await expect(judgeRun(dir, { set: 'nope' })).rejects.toThrow('unknown threshold set "nope"; valid sets: baseline, phase1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('judges against the production gate too: production by default, another set by name, a config set of that name first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadgate-verdict-'));
    try {
      const a = healthyRun(120, { me: { p95: 300 } });
      await writeFile(join(dir, 'analysis.json'), JSON.stringify(a));
      const r = await judgeRun(dir, { set: 'phase3' });
      expect(r.verdict.status).toBe('fail');
      expect(r.verdict.production).toMatchObject({ set: { name: 'production' }, status: 'pass' });
      const saved = VerdictSchema.parse(JSON.parse(await readFile(r.files.verdict, 'utf8')));
      expect(saved.production?.status).toBe('pass');
      expect(r.markdown).toContain('## loadgate ❌ FAIL against `phase3` · ✅ PASS against `production`');
      expect((await judgeRun(dir, { set: 'phase3', productionSet: 'phase1' })).verdict.production?.set.name).toBe('phase1');
      await expect(judgeRun(dir, { productionSet: 'nope' })).rejects.toThrow('unknown threshold set "nope"');
      // A config that defines its own `production` replaces the built-in one, for the gate too.
      const config = join(dir, 'loadgate.yaml');
      await writeFile(config, 'thresholdSets:\n  production:\n    defaults: { p95Ms: 250 }\n');
      const own = await judgeRun(dir, { set: 'phase1', configPath: config });
      expect(own.verdict.production).toMatchObject({ status: 'fail', set: { definition: { defaults: { p95Ms: 250 } } } });
      // The exit code follows the gating set only.
      expect(own.verdict.status).toBe('pass');
      expect(exitCode({ verdict: own.verdict })).toBe(ExitCode.ok);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unreadable analysis is a data error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loadgate-verdict-'));
    try {
      await writeFile(join(dir, 'analysis.json'), '{"kind":"other"}');
      await expect(judgeRun(dir)).rejects.toMatchObject({ exitCode: ExitCode.data });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
