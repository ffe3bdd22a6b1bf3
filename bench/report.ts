import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchEngine } from './databases.ts';

export interface ScenarioResult {
  scenario: string;
  connections: number;
  seconds: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Of the server process, sampled right after the scenario. */
  rssMiB: number | null;
  /** requestsPerSec ÷ the floor's requestsPerSec on the same engine (for a read, the floor measured just before it). */
  ratioToFloor: number;
  /** A read's own floor measurement, taken just before it. */
  pairedFloor?: { requestsPerSec: number; p99Ms: number };
  /** For a scenario that sends e-mail: what the bench's SMTP server received meanwhile. */
  mail?: {
    acknowledged: number;
    received: number;
    receivedMeasured: number;
    backlog: number;
  };
}

export interface TargetCheck {
  /** What is promised, e.g. "GET /api/v1/me ≥ 0.5× floor". */
  description: string;
  /** The scenario measured (for a comparison of two, the one compared). */
  scenario: string;
  /** What was measured, in `unit`: a ratio (×) or a latency (ms). */
  measured: number;
  unit: '×' | 'ms';
  pass: boolean;
}

export type EngineReport =
  | { engine: BenchEngine; database: string; scenarios: ScenarioResult[]; targets: TargetCheck[] }
  | { engine: BenchEngine; skipped: string };

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  node: string;
  cpus: number;
  seconds: number;
  warmupSeconds: number;
  engines: EngineReport[];
}

const COLUMNS = ['engine', 'scenario', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'RSS MiB', '× floor'];

export function formatTable(engines: readonly EngineReport[]): string {
  const rows = engines.flatMap((report) =>
    'skipped' in report
      ? []
      : report.scenarios.map((s) => [
          report.engine,
          s.scenario,
          String(s.connections),
          s.requestsPerSec.toFixed(0),
          s.p50Ms.toFixed(1),
          s.p99Ms.toFixed(1),
          String(s.non2xx),
          String(s.errors),
          s.rssMiB === null ? '-' : s.rssMiB.toFixed(1),
          `${s.ratioToFloor.toFixed(2)}×`,
        ]),
  );
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  // Text left, numbers right, as a reader scans them.
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const lines = [line(COLUMNS), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
  for (const report of engines) {
    if ('skipped' in report) {
      lines.push(`${report.engine}: skipped: ${report.skipped}`);
      continue;
    }
    for (const s of report.scenarios) {
      if (!s.mail) continue;
      lines.push(
        `${report.engine}: ${s.scenario}: SMTP received ${s.mail.received} messages during the scenario ` +
          `(${s.mail.receivedMeasured} in the measured seconds) for ${s.mail.acknowledged} invitations; ` +
          `${s.mail.backlog} left in the outbox`,
      );
    }
  }
  return lines.join('\n');
}

export function formatTargets(engines: readonly EngineReport[]): string {
  return engines
    .flatMap((report) =>
      'skipped' in report
        ? [`${report.engine}: targets not checked (skipped)`]
        : report.targets.map(
            (target) =>
              `${report.engine}: ${target.description}: ${target.pass ? 'PASS' : 'FAIL'} (${formatMeasured(target)})`,
          ),
    )
    .join('\n');
}

function formatMeasured(target: TargetCheck): string {
  return target.unit === 'ms' ? `${target.measured.toFixed(1)} ms` : `${target.measured.toFixed(2)}×`;
}

/** bench/results/<ISO timestamp>.json, with the colons made dashes so the name is valid everywhere. */
export function writeReport(resultsDir: string, report: BenchReport): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${report.startedAt.replaceAll(':', '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
