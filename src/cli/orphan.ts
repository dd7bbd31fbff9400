/**
 * Stop with the launcher that started us. `npx honeygate serve` (and `npm start`, `npm exec`) runs
 * the gateway as a grandchild: npm → `sh -c` → node. On SIGTERM npm forwards the signal to the shell
 * only, which dies without passing it on, and npm exits 143 — leaving the gateway listening with
 * nobody to stop it. So when npm launched this process (npm sets `npm_command` in its children's
 * environment) and our parent goes away (we are re-parented: `process.ppid` changes), we take it as
 * the SIGTERM the user sent: drain and exit. A process started any other way (systemd, a shell,
 * `nohup … &`) is never stopped by its parent's exit.
 */
export function watchLauncher(env: NodeJS.ProcessEnv, onGone: () => void, intervalMs = 250): () => void {
  const parent = process.ppid;
  if (env['npm_command'] === undefined || parent <= 1) return () => undefined;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
