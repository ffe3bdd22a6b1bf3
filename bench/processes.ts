import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const OUTPUT_TAIL_CHARS = 8192;

/** A server under test, running as its own node process. */
export interface Server {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** VmRSS of the node process in MiB; undefined where /proc is missing. */
  rssMiB(): number | undefined;
  alive(): boolean;
  /** The tail of what the server wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited in time; safe to call twice. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

// Last resort when the bench exits without having stopped a child (an uncaught throw, process.exit).
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Spawns `node --import tsx <entry>` directly, not through npm, so the pid whose
 * RSS we sample is the server itself. Resolves once GET /healthz answers 2xx.
 */
export async function startServer(name: string, entry: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  // Drain both pipes (a full pipe would block the server) and keep the tail for error messages.
  let output = '';
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  const url = `http://127.0.0.1:${port}`;
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${name}: could not spawn ${process.execPath}`);
    await waitForHealthy(child, `${url}/healthz`);
    return {
      name,
      pid,
      url,
      rssMiB: () => rssMiB(pid),
      alive: () => isAlive(child),
      output: () => output.trim(),
      stop: () => stop(child),
    };
  } catch (error) {
    await stop(child);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${name} did not start: ${reason}\n--- ${name} output ---\n${output.trim()}`);
  }
}

export async function stopAllServers(): Promise<void> {
  await Promise.all([...children].map(stop));
}

async function waitForHealthy(child: ChildProcess, healthUrl: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isAlive(child)) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    try {
      const response = await fetch(healthUrl, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`GET /healthz did not answer within ${READY_TIMEOUT_MS / 1000} s`);
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!isAlive(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    child.once('exit', onExit);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (!isAlive(child)) return;
  child.kill('SIGTERM');
  if (await exited(child, STOP_TIMEOUT_MS)) return;
  child.kill('SIGKILL');
  await exited(child, STOP_TIMEOUT_MS);
}

function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** A port free right now; the child binds it a moment later, a race that is harmless on a bench box. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
