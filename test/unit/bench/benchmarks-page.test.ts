/** docs/benchmarks.md as a whole run writes it: the machine, then every figure beside its baseline and target. */
import { describe, expect, it } from 'vitest';
import { benchmarksPage, type BenchReport } from '../../../test/bench/lib/benchmarks-page.js';

const report: BenchReport = {
  timestamp: '2026-11-25T03:00:00.000Z',
  scale: 1,
  machine: {
    cpuModel: 'AMD EPYC',
    cores: 2,
    ramGiB: 23.4,
    platform: 'linux 6.1',
    node: 'v20.20.2',
    sqlite: '3.50.4',
    commit: 'abc1234',
    loadAverageAtStart: [0.1, 0.2, 0.3],
    loadAverageAtEnd: [1.5, 1, 0.5],
  },
  results: [
    {
      bench: 'cold-start',
      scale: 1,
      sizes: {},
      details: {},
      findings: [],
      wallMs: 1,
      rows: [
        {
          key: 'cold-start',
          name: 'Cold start (open | first screen)',
          value: 18.66,
          unit: 'ms',
          baseline: { name: 'raw open', value: 7.83, unit: 'ms' },
          ratio: 2.4,
          target: { text: '< 50 ms', op: '<=', value: 50 },
          met: true,
        },
      ],
    },
    { bench: 'sustained', scale: 1, sizes: {}, details: {}, findings: [], wallMs: 1, rows: [], error: 'exited with 1' },
  ],
};

describe('the benchmarks page', () => {
  it('names the machine and the commit, and puts each figure beside its baseline and target', () => {
    const page = benchmarksPage(report);
    expect(page).toContain('on 2026-11-25, at commit abc1234');
    expect(page).toContain('| CPU | AMD EPYC, 2 cores |');
    expect(page).toContain('| load average at start, at end | 0.1 0.2 0.3; 1.5 1 0.5 |');
    expect(page).toContain(
      '| cold-start | Cold start (open \\| first screen) | 18.7 | ms | 7.83 ms (raw open) | 2.40× | < 50 ms | yes |',
    );
    expect(page).toContain('| sustained | FAILED |');
  });
});
