import { describe, expect, it } from 'vitest';
import { BUILTIN_THRESHOLDS } from '../../thresholds/sets.ts';
import { computeVerdict } from './compute.ts';
import { healthyRun, makeAnalysis, type EndpointSpec } from '../../test/support/verdict-fixtures.ts';
import { displayWidth, renderPhaseTable, renderTerminal, truncateMiddle, wrap } from './terminal.ts';

const { production, phase3, baseline, phase1 } = BUILTIN_THRESHOLDS.sets;
const PROD = { name: 'production', set: production };
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes
const ESC = /\u001b/;
const lines = (s: string) => s.replace(/\n$/, '').split('\n');
const widest = (s: string) => Math.max(...lines(s).map(displayWidth));

/** A baseline-like run: login times out, the rest is fine. */
function slowLogin() {
  return healthyRun(120, { login: { p95: 2000, timeouts: 600, censored: true } });
}

describe('renderTerminal', () => {
  it('a set without targets reads "no targets of its own", never PASS, next to FAIL against production', () => {
    const a = slowLogin();
    const v = computeVerdict(a, baseline, { setName: 'baseline', production: PROD });
    const out = renderTerminal(a, v, { color: false, reportPath: '/runs/x/report.html' });
    const verdictLine = lines(out).find((l) => l.startsWith('  verdict'))!;
    expect(verdictLine).toContain('– no targets of its own (set baseline): measured only');
    expect(verdictLine).not.toContain('PASS');
    expect(out).toMatch(/ {2}production ✗ FAIL against production: \d+ of \d+ targets breached/);
    // Without own targets the cells carry no marks; the production column says what breaches.
    const login = lines(out).find((l) => l.startsWith('  auth.login'))!;
    expect(login).toMatch(/≥ 2,000 ms +31\.3 % +600 \(31\.3 %\) +✗ p95 err t\/o$/);
    expect(lines(out).find((l) => l.startsWith('  probes.health'))).toMatch(/✓$/);
    expect(out).toContain('  timeouts on 1 of 3 endpoints (most: auth.login, 31.3 % of its requests, load-correlated)');
    expect(out).toContain('  report: /runs/x/report.html');
    expect(out).not.toMatch(ESC);
  });

  it('marks each figure ✓/✗ against the gating set and states both verdicts', () => {
    const a = healthyRun(120, { me: { p95: 900 } });
    const v = computeVerdict(a, phase3, { setName: 'phase3', production: PROD });
    const out = renderTerminal(a, v, { color: false });
    expect(out).toContain('  verdict    ✗ FAIL against phase3: 1 of 10 targets breached  (decides the exit code)');
    expect(out).toContain('  production ✗ FAIL against production: 1 of 10 targets breached');
    expect(lines(out).find((l) => l.startsWith('  user.me'))).toMatch(/900 ms ✗ +0 % ✓ +0 ✓ +✗ p95$/);
    expect(lines(out).find((l) => l.startsWith('  auth.login'))).toMatch(/120 ms ✓ +0 % ✓ +0 ✓ +✓$/);
    expect(out).toMatch(/throughput \(steady window hold\): 120 successful RPS · phase3 ≥ 100 RPS ✓ · production ≥ 100 RPS ✓/);
    expect(out).toContain('✓/✗: against phase3');
  });

  it('says so when the gating set is the production gate, and when a verdict predates it', () => {
    const a = healthyRun(120);
    const same = renderTerminal(a, computeVerdict(a, production, { setName: 'production', production: PROD }), { color: false });
    expect(same).toContain('  production the gating set is the production gate');
    expect(same).not.toMatch(/\bproduction\s*$/m); // no production column
    const old = renderTerminal(a, computeVerdict(a, phase1, { setName: 'phase1' }), { color: false });
    expect(old).toContain('production not judged: re-run `loadgate verdict`');
    expect(renderTerminal(a, null, { color: false })).toContain('verdict    not judged: no verdict.json');
  });

  it('lists the endpoints the plan called for that never got a request, inconclusive', () => {
    const a = healthyRun(120);
    const v = computeVerdict(a, phase3, {
      setName: 'phase3',
      production: PROD,
      endpoints: [{ name: 'auth.logout', group: 'auth', probe: false }],
    });
    const out = renderTerminal(a, v, { color: false });
    expect(lines(out).find((l) => l.startsWith('  auth.logout'))).toMatch(/^ {2}auth\.logout +0 +— \? +— \? +— \? +\?$/);
  });

  it('colours with a TTY, plain text without', () => {
    const a = slowLogin();
    const v = computeVerdict(a, phase3, { setName: 'phase3', production: PROD });
    const coloured = renderTerminal(a, v, { color: true });
    expect(coloured).toContain('\u001b[31mFAIL\u001b[0m');
    expect(coloured).toContain('\u001b[32m✓\u001b[0m');
    const plain = renderTerminal(a, v, { color: false });
    expect(plain).not.toMatch(ESC);
    // Colour changes no column: the same text once the escapes are gone.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(plain);
  });

  it('never writes a line over 120 columns (or the width asked for): long names are cut in the middle, hostile ones sanitised', () => {
    const long = `auth.${'very-long-segment.'.repeat(12)}login`;
    const hostile = 'evil\u001b[2J\u001b]0;pwned\u0007.name\nnext-line';
    const wide = '認証.ログイン.エンドポイント.とても長い名前のエンドポイント名前'.repeat(2);
    const endpoints: EndpointSpec[] = [long, hostile, wide, 'user.me'].map((name, i) => ({
      name,
      group: 'auth',
      byStage: { hold: { requests: 1_234_567 + i, timeouts: 1_000_000, p95: 2000, censored: true } },
    }));
    const a = makeAnalysis({ stages: [{ name: 'hold', durationS: 30, from: 100, to: 100 }], endpoints });
    const v = computeVerdict(a, phase3, { setName: 'phase3', production: PROD });
    const report = `/${'deeply/nested/results/directory/'.repeat(8)}20250101T000000Z-journey-load-abcdef/report.html`;
    for (const width of [undefined, 200, 120, 100, 80, 40]) {
      for (const color of [false, true]) {
        const out = renderTerminal(a, v, { color, width, reportPath: report });
        expect(widest(out), `width ${width}, color ${color}`).toBeLessThanOrEqual(Math.min(120, Math.max(80, width ?? 120)));
        expect(out).not.toContain('\u001b[2J');
        expect(out).not.toContain('\u0007');
      }
    }
    const out = renderTerminal(a, v, { color: false, width: 100, reportPath: report });
    expect(out).toContain('auth.very-long');
    expect(out).toMatch(/…[a-z.-]*login /);
    expect(out).not.toMatch(ESC);
    // The wrapped path, put back together, is the path.
    const at = lines(out).indexOf('  report:');
    expect(
      lines(out)
        .slice(at + 1)
        .map((l) => l.trim())
        .join(''),
    ).toBe(report);
  });

  it('lists at most maxEndpoints, the ones that breach or time out first, and counts the rest', () => {
    const endpoints: EndpointSpec[] = Array.from({ length: 60 }, (_, i) => ({
      name: `group.endpoint-${String(i).padStart(2, '0')}`,
      group: 'group',
      byStage: { hold: { requests: 100, p95: i === 55 ? 900 : 50, timeouts: i === 57 ? 3 : 0 } },
    }));
    const a = makeAnalysis({ stages: [{ name: 'hold', durationS: 30, from: 100, to: 100 }], endpoints });
    const v = computeVerdict(a, phase3, { setName: 'phase3', production: PROD });
    const out = renderTerminal(a, v, { color: false, maxEndpoints: 10 });
    expect(lines(out).filter((l) => l.startsWith('  group.endpoint-')).length).toBe(10);
    expect(out).toContain('  group.endpoint-55');
    expect(out).toContain('  group.endpoint-57');
    expect(out).toContain('  … 50 more endpoints in the report');
  });
});

describe('renderPhaseTable', () => {
  const phases = () => {
    const a0 = slowLogin();
    const a3 = healthyRun(120);
    return [
      { label: 'baseline', analysis: a0, verdict: computeVerdict(a0, baseline, { setName: 'baseline', production: PROD }) },
      { label: 'phase1', analysis: a0, verdict: computeVerdict(a0, phase1, { setName: 'phase1', production: PROD }) },
      { label: 'phase3', analysis: a3, verdict: computeVerdict(a3, phase3, { setName: 'phase3', production: PROD }) },
      { label: 'phase4', analysis: null, verdict: null },
    ];
  };

  it('one line per phase: P95, errors, timeouts on N of M endpoints, own verdict, production verdict, readiness', () => {
    const out = renderPhaseTable(phases(), { color: false });
    const rows = lines(out);
    expect(rows[0]).toBe('loadgate · phase by phase');
    expect(rows[1]).toMatch(/^ {2}phase +P95 +errors +timeouts +own set +production +readiness$/);
    expect(rows[2]).toMatch(/^ {2}baseline +2,000 ms +12\.5 % +1 of 3 endpoints +– no targets +✗ FAIL \d+ of \d+ breached +\d+ %$/);
    expect(rows[3]).toMatch(/^ {2}phase1 .* ✗ FAIL 2 of 6 breached +✗ FAIL \d+ of \d+ breached +\d+ %$/);
    expect(rows[4]).toMatch(/^ {2}phase3 +120 ms +0 % +0 of 3 endpoints +✓ PASS 10 of 10 met +✓ PASS 10 of 10 met +100 %$/);
    expect(rows[5]).toMatch(/^ {2}phase4 +— +— +— +not judged +not judged +—$/);
  });

  it('goes compact to fit a narrow terminal, never over its width', () => {
    const out = renderPhaseTable(phases(), { color: true, width: 80 });
    expect(widest(out)).toBeLessThanOrEqual(80);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes
    expect(out.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/baseline +2,000 ms +12\.5 % +1 of 3 +– no targets +✗ FAIL \d+\/\d+/);
  });
});

describe('text helpers', () => {
  it('truncateMiddle keeps both ends; wrap keeps words and splits what cannot fit', () => {
    expect(truncateMiddle('auth.refresh-token-rotation', 12)).toBe('auth.r…ation');
    expect(displayWidth(truncateMiddle('認証認証認証認証', 7))).toBeLessThanOrEqual(7);
    expect(wrap('aaa bbb ccc', 7, '  ')).toEqual(['aaa bbb', '  ccc']);
    expect(wrap('  x '.concat('y'.repeat(20)), 10, ' ')).toEqual(['  x', ' yyyyyyyyy', ' yyyyyyyyy', ' yy']);
  });
});
