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
  /** Of the server process, the highest of samples taken every 100 ms during the measured seconds. */
  peakRssMiB: number | null;
  /**
   * requestsPerSec ÷ the floor's requestsPerSec on the same engine: for a read or a write
   * the floor measured just before it (the write floor for a write), else the median floor.
   */
  ratioToFloor: number;
  /** The scenario's own floor measurement, taken just before it at the same number of connections. */
  pairedFloor?: { scenario: string; requestsPerSec: number; p99Ms: number };
  /**
   * For a scenario measured in several pairs with its floor (those held to a target): each
   * pair's ratio in the order measured (for the mixed workload, its reads'). This result is
   * the pair of median ratio.
   */
  pairRatios?: number[];
  /** For a scenario that sends e-mail: what the bench's SMTP server received meanwhile. */
  mail?: {
    /** Invitations acknowledged (2xx) during the warm-up and the measured seconds. */
    acknowledged: number;
    /** Messages the SMTP server received from the start of the warm-up to the end of the measurement. */
    received: number;
    /** Of those, during the measured seconds. */
    receivedMeasured: number;
    /** Outbox rows not yet sent right after the measurement. */
    backlog: number;
  };
  /** For the mixed workload: what its connections saw during the measured seconds. */
  mix?: MixSeen;
  /** For invoicing: invoices drafted and issued during the measured seconds. */
  invoicing?: InvoicingSeen;
}

export interface InvoicingSeen {
  /** The workspaces the connections were spread over. */
  workspaces: number;
  /** Invoices issued (each after its draft was created), per second. */
  issuedPerSec: number;
  /** issuedPerSec ÷ the write floor measured just before it (one one-row update per request). */
  issuedRatioToFloor: number;
  drafted: number;
  issued: number;
  failed: number;
}

export interface MixSeen {
  /** Reads (GET /me, /workspaces, /members) answered 2xx, per second. */
  readsPerSec: number;
  /** readsPerSec ÷ the floor measured just before the mix. */
  readsRatioToFloor: number;
  /** Responses per kind of request, 2xx and not. */
  requests: Record<string, { ok: number; failed: number }>;
  /** Per kind of request, its latency as the connection saw it (ms), so a tail can be told apart by what causes it. */
  latencyMs: Record<string, { p50: number; p99: number } | null>;
  /** Hits ÷ lookups of each of the server's versioned caches in the measured seconds (its GET /metrics); null for a cache not looked up. */
  cacheHitRates: Record<string, number | null>;
}

export interface TargetCheck {
  /** What is promised, e.g. "GET /api/v1/me ≥ 0.5× floor". */
  description: string;
  /** The scenario measured (for a comparison of two, the one compared). */
  scenario: string;
  /** What was measured, in `unit`: a ratio (×), a latency (ms) or a resident set size (MiB). */
  measured: number;
  unit: '×' | 'ms' | 'MiB';
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

const COLUMNS = ['engine', 'scenario', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'peak RSS MiB', '× floor'];

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
          s.peakRssMiB === null ? '-' : s.peakRssMiB.toFixed(1),
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
      lines.push(...scenarioNotes(s).map((note) => `${report.engine}: ${s.scenario}: ${note}`));
    }
  }
  return lines.join('\n');
}

/** What a scenario saw beyond its row: the e-mail it sent, the mix of requests it answered. */
export function scenarioNotes(s: ScenarioResult): string[] {
  const notes: string[] = [];
  if (s.pairRatios) {
    notes.push(`ratio to its own floor in ${s.pairRatios.length} pairs: ${s.pairRatios.map((ratio) => `${ratio.toFixed(2)}×`).join(', ')}; the median pair is the one reported`);
  }
  if (s.mail) {
    notes.push(
      `SMTP received ${s.mail.received} messages during the scenario (${s.mail.receivedMeasured} in the measured ` +
        `seconds) for ${s.mail.acknowledged} invitations; ${s.mail.backlog} left in the outbox`,
    );
  }
  if (s.mix) {
    const answered = Object.entries(s.mix.requests)
      .map(([kind, { ok, failed }]) => `${kind} ${ok}${failed ? ` (+${failed} non-2xx)` : ''}`)
      .join(', ');
    const hitRates = Object.entries(s.mix.cacheHitRates)
      .map(([cache, rate]) => `${cache} ${rate === null ? 'n/a' : `${(rate * 100).toFixed(1)} %`}`)
      .join(', ');
    const latencies = Object.entries(s.mix.latencyMs)
      .filter((entry): entry is [string, { p50: number; p99: number }] => entry[1] !== null)
      .map(([kind, { p50, p99 }]) => `${kind} ${p50.toFixed(1)}/${p99.toFixed(1)}`)
      .join(', ');
    notes.push(
      `reads ${s.mix.readsPerSec.toFixed(0)}/s, ${s.mix.readsRatioToFloor.toFixed(2)}× the floor measured before it; ` +
        `answered in the measured seconds: ${answered}; cache hit rates: ${hitRates}`,
      `latency p50/p99 (ms) by kind: ${latencies}`,
    );
  }
  if (s.invoicing) {
    const seen = s.invoicing;
    notes.push(
      `over ${seen.workspaces} workspace(s): ${seen.issuedPerSec.toFixed(0)} invoices created and issued per second, ` +
        `${seen.issuedRatioToFloor.toFixed(2)}× the write floor measured before it; ${seen.drafted} drafted, ${seen.issued} issued, ${seen.failed} non-2xx`,
    );
  }
  return notes;
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
  return target.unit === '×' ? `${target.measured.toFixed(2)}×` : `${target.measured.toFixed(1)} ${target.unit}`;
}

/** bench/results/<ISO timestamp>.json, with the colons made dashes so the name is valid everywhere. */
export function writeReport(resultsDir: string, report: BenchReport): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${report.startedAt.replaceAll(':', '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
