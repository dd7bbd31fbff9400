/**
 * The public listener's certificates from `listen.tls` (one, or a list chosen by SNI): read from
 * disk at start, on reload (SIGHUP, the admin API) and whenever a certificate or key file changes
 * (a renewal by certbot, cert-manager, a cron job). Files are polled (`fs.watchFile`, a stat every
 * few seconds): a renewal replaces files or symlinks, which `fs.watch` loses track of. A pair read
 * mid-write (a key that does not match its certificate) is refused and the served set kept; the
 * next change or reload tries again.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { ListenConfig } from '../config/listen.js';
import type { TlsMaterial } from './listener.js';

export type TlsConfig = NonNullable<ListenConfig['tls']>;

function tlsEntries(tls: TlsConfig): readonly { cert: string; key: string; server_names?: string[] | undefined }[] {
  return Array.isArray(tls) ? tls : [tls];
}

/** Read every certificate and key (throws on an unreadable file). */
export function readTls(tls: TlsConfig): TlsMaterial[] {
  return tlsEntries(tls).map((e) => ({ cert: readFileSync(e.cert), key: readFileSync(e.key), serverNames: e.server_names }));
}

/** A line per certificate for reports: subject, SNI names, expiry, SHA-256 fingerprint (short). */
export function describeTls(materials: readonly TlsMaterial[]): string[] {
  return materials.map((m) => {
    try {
      const x = new X509Certificate(m.cert);
      const names = m.serverNames && m.serverNames.length > 0 ? m.serverNames.join(',') : 'default';
      return `${names}: ${x.subject.replace(/\n/g, ', ')} until ${new Date(x.validTo).toISOString()} (sha256 ${x.fingerprint256.replace(/:/g, '').slice(0, 16)})`;
    } catch {
      return 'unreadable certificate';
    }
  });
}

/** Watch every file of `tls`; `onChange` runs (debounced) after one of them changed. */
export function watchTlsFiles(tls: TlsConfig, onChange: () => void, intervalMs = 2000): () => void {
  const files = [...new Set(tlsEntries(tls).flatMap((e) => [e.cert, e.key]))];
  let timer: NodeJS.Timeout | undefined;
  const listener = (cur: Stats, prev: Stats): void => {
    if (cur.mtimeMs === prev.mtimeMs && cur.ino === prev.ino && cur.size === prev.size) return;
    // a renewal writes the certificate and the key one after the other: wait for both
    clearTimeout(timer);
    timer = setTimeout(onChange, Math.min(500, intervalMs));
    timer.unref();
  };
  for (const f of files) watchFile(f, { interval: intervalMs, persistent: false }, listener);
  return () => {
    clearTimeout(timer);
    for (const f of files) unwatchFile(f, listener);
  };
}
