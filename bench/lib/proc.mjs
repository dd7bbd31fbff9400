// Child processes for the servers under test: each runs in its own process (its own event loop
// and, load permitting, its own core), announces readiness on stdout, and is stopped by its pid.
import { spawn } from 'node:child_process';

/** Every child started here, so a crash or a timeout of the run still stops them all. */
const children = new Set();

/**
 * Start `cmd args`; resolve once a stdout line matches `ready` (a function returning the port, or
 * undefined). Rejects after `timeoutMs` or when the child exits first.
 */
export function startChild(name, cmd, args, { ready, timeoutMs = 20_000, env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
    children.add(child);
    let out = '';
    let err = '';
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`${name}: not ready after ${timeoutMs} ms\n${err}`)), timeoutMs);
    const fail = (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-4000);
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      if (settled) return;
      out += d;
      for (const line of out.split('\n')) {
        const port = ready(line);
        if (port !== undefined) {
          settled = true;
          clearTimeout(timer);
          resolve({ name, child, port, url: `http://127.0.0.1:${port}`, stderr: () => err, stop: () => stopChild(child) });
          return;
        }
      }
    });
    child.once('exit', (code, signal) => {
      children.delete(child);
      fail(new Error(`${name}: exited (${code ?? signal}) before ready\n${err}`));
    });
  });
}

/** The `{"ready":true,"port":N}` line of bench/servers/*.mjs. */
export function jsonReady(line) {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line);
    return v.ready ? v.port : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
export function stopChild(child, graceMs = 8000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function killAll() {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}

/** Run a command to completion, bounded; resolves with { code, stdout, stderr }. */
export function run(cmd, args, { timeoutMs = 60_000, env = process.env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? (signal ? 128 : 1), signal, stdout, stderr });
    });
  });
}

export function which(cmd) {
  return run('sh', ['-c', `command -v ${cmd}`], { timeoutMs: 5000 }).then(
    (r) => (r.code === 0 ? r.stdout.trim() : null),
    () => null,
  );
}

/** Start a long-running child that announces nothing (haproxy): tracked, stopped by its pid. */
export function spawnTracked(name, cmd, args, { env = process.env, cwd } = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env, cwd });
  children.add(child);
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (err = (err + d).slice(-4000)));
  child.once('exit', () => children.delete(child));
  return { name, child, stderr: () => err, stop: () => stopChild(child) };
}
