/**
 * Syslog sink: RFC 5424 messages over UDP (RFC 5426: one message per datagram) or TCP (RFC 6587
 * §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`), with either
 * - `rfc5424`: an SD-ELEMENT of ECS-named SD-PARAMs (§6.3; `"` `\` `]` escaped per §6.3.3) and a
 *   key=value summary as MSG, or
 * - `cef`: STRUCTURED-DATA `-` and an ArcSight CEF:0 record as MSG (header `|` and `\` escaped;
 *   extension `\` `=` escaped, newlines as `\n` `\r`, per "Implementing ArcSight CEF" rev. 25).
 *
 * MSG has no BOM (§6.4 allows MSG-ANY): many pipelines fail on a BOM before a key=value or CEF
 * text. Message size: 2048 octets over UDP (RFC 5426 §3.2: every receiver SHOULD take that), 8192
 * over TCP (RFC 5425 §4.3.1); fields are added by importance until the budget is used.
 *
 * TCP reconnects with exponential backoff (100 ms doubling to 30 s). While the receiver is away,
 * batches fail at once (counted) instead of waiting: the queue never backs up behind a dead socket.
 * A write that the receiver does not take within 5 s destroys the connection.
 */
import dgram from 'node:dgram';
import net, { isIPv6 } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { SyslogConfig } from '../config.js';
import { classify, printable, productVersion, summary } from '../describe.js';
import type { GatewayEvent } from '../model.js';
import { errorText, QueuedSink, type MetricHandler, type SinkWriter, type WriteResult } from './queue.js';

export const UDP_MAX_BYTES = 2048;
export const TCP_MAX_BYTES = 8192;

export interface SyslogFormatOptions {
  readonly format: 'rfc5424' | 'cef';
  /** 0–23 */
  readonly facility: number;
  readonly appName: string;
  readonly sdId: string;
  readonly hostname: string;
  readonly procId: string;
  readonly version: string;
  readonly maxBytes: number;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

/** RFC 5424 §6: header fields are PRINTUSASCII (33–126) with a length limit, or `-`. */
function headerField(text: string, max: number): string {
  const clean = text.replace(/[^!-~]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** RFC 5424 §6.3.3: inside PARAM-VALUE, `"`, `\` and `]` are escaped with `\`. */
function sdEscape(value: string): string {
  return printable(value).replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** CEF header fields: `\` and `|` escaped; no line breaks. */
function cefHeaderEscape(value: string): string {
  return printable(value).replace(/[\\|]/g, (c) => `\\${c}`);
}

/** CEF extension values: `\` and `=` escaped, CR/LF as `\r` `\n`; other controls replaced. */
function cefValueEscape(value: string): string {
  return value
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}

type Field = readonly [name: string, value: string | number | undefined];

/** SD-PARAMs in order of importance (ECS names: SD-NAME allows dots, max 32 characters). */
function sdParams(event: GatewayEvent): Field[] {
  const h = event.honeygate;
  return [
    ['event.id', event.event.id],
    ['event.dataset', event.event.dataset],
    ['event.action', event.event.action],
    ['event.outcome', event.event.outcome],
    ['source.ip', event.source?.ip],
    ['honeygate.key.class', h.key?.class],
    ['honeygate.key.campaign', h.key?.campaign],
    ['honeygate.key.placement', h.key?.placement],
    ['honeygate.key.fingerprint', h.key?.fingerprint],
    ['honeygate.verdict.action', h.verdict?.action],
    ['honeygate.verdict.reason', h.verdict?.reason],
    ['honeygate.canary.token', h.canary?.token],
    ['honeygate.canary.kind', h.canary?.kind],
    ['honeygate.system.component', h.system?.component],
    ['honeygate.system.detail', h.system?.detail],
    ['http.response.status_code', event.http?.response.status_code],
    ['http.request.method', event.http?.request.method],
    ['url.path', event.url?.path],
    ['honeygate.surface', h.surface],
    ['honeygate.model', h.model],
    ['honeygate.client.name', h.client?.name],
    ['honeygate.tool.user', h.tool?.user],
    ['honeygate.tool.conversation', h.tool?.conversation],
    ['source.port', event.source?.port],
    ['user_agent.original', event.user_agent?.original],
  ];
}

/** CEF extension pairs in order of importance (standard keys; cs1–cs6 with their labels). */
function cefExtension(event: GatewayEvent): Field[] {
  const h = event.honeygate;
  const time = Date.parse(event['@timestamp']);
  const custom = (n: number, label: string, value: string | undefined): Field[] =>
    value === undefined ? [] : [[`cs${n}Label`, label], [`cs${n}`, value]];
  return [
    ['rt', Number.isFinite(time) ? time : Date.now()],
    ['externalId', event.event.id],
    ['cat', event.event.dataset],
    ['src', event.source?.ip],
    ['act', h.verdict?.action ?? event.event.action],
    ['reason', h.verdict?.reason ?? event.event.reason],
    ['outcome', event.event.outcome],
    ...custom(5, 'keyClass', h.key?.class),
    ...custom(1, 'campaign', h.key?.campaign),
    ...custom(2, 'placement', h.key?.placement),
    ...custom(3, 'keyFingerprint', h.key?.fingerprint),
    ...custom(4, 'model', h.model),
    ...custom(6, 'surface', h.surface),
    ['cn1Label', event.http !== undefined ? 'httpStatus' : undefined],
    ['cn1', event.http?.response.status_code],
    ['requestMethod', event.http?.request.method],
    ['request', event.url?.path],
    ['spt', event.source?.port],
    ['suser', h.tool?.user],
    ['requestClientApplication', event.user_agent?.original],
    ['msg', h.canary !== undefined ? `canary ${h.canary.token} (${h.canary.kind}) minted for ${h.canary.minted_for_ip}` : h.system?.detail],
  ];
}

const VALUE_MAX = 256;

/** One RFC 5424 SYSLOG-MSG (without transport framing), at most `maxBytes` octets of UTF-8. */
export function formatSyslog(event: GatewayEvent, o: SyslogFormatOptions): Buffer {
  const cls = classify(event);
  const pri = o.facility * 8 + cls.syslogSeverity;
  const stamp = RFC3339.test(event['@timestamp']) ? event['@timestamp'] : new Date().toISOString();
  const msgId = headerField(event.event.dataset.replace(/^honeygate\./, ''), 32);
  const header = `<${pri}>1 ${stamp} ${headerField(o.hostname, 255)} ${headerField(o.appName, 48)} ${headerField(o.procId, 128)} ${msgId}`;
  let budget = o.maxBytes - Buffer.byteLength(header) - 1;
  if (o.format === 'cef') {
    let cef =
      `CEF:0|honeygate|honeygate|${cefHeaderEscape(o.version)}|${cefHeaderEscape(cls.signatureId)}|` +
      `${cefHeaderEscape(cls.name)}|${cls.cefSeverity}|`;
    budget -= 2 + Buffer.byteLength(cef); // "- " before the MSG
    const pairs: string[] = [];
    for (const [key, value] of cefExtension(event)) {
      if (value === undefined || value === '') continue;
      const pair = `${key}=${cefValueEscape(String(value).slice(0, VALUE_MAX))}`;
      const cost = Buffer.byteLength(pair) + (pairs.length > 0 ? 1 : 0);
      if (cost > budget) continue; // too big for this message: the next (smaller) field may fit
      pairs.push(pair);
      budget -= cost;
    }
    // a label whose value did not fit (or the reverse) would mislead: drop the half pair
    cef += dropOrphanLabels(pairs).join(' ');
    return Buffer.from(`${header} - ${cef}`, 'utf8');
  }
  let sd = `[${o.sdId}`;
  budget -= Buffer.byteLength(sd) + 1; // "]"
  for (const [name, value] of sdParams(event)) {
    if (value === undefined || value === '') continue;
    const param = ` ${name}="${sdEscape(String(value).slice(0, VALUE_MAX))}"`;
    const cost = Buffer.byteLength(param);
    if (cost > budget) continue;
    sd += param;
    budget -= cost;
  }
  sd += ']';
  const msg = truncateUtf8(printable(summary(event)), budget - 1);
  return Buffer.from(msg === '' ? `${header} ${sd}` : `${header} ${sd} ${msg}`, 'utf8');
}

/** Remove `csNLabel` / `cn1Label` pairs whose value did not fit, and values whose label did not. */
function dropOrphanLabels(pairs: string[]): string[] {
  const keys = new Set(pairs.map((p) => p.slice(0, p.indexOf('='))));
  return pairs.filter((p) => {
    const key = p.slice(0, p.indexOf('='));
    const label = /^(c[sn]\d)Label$/.exec(key);
    if (label !== null) return keys.has(label[1] ?? '');
    if (/^c[sn]\d$/.test(key)) return keys.has(`${key}Label`);
    return true;
  });
}

/** The longest prefix of `text` that fits in `max` UTF-8 octets, never cutting a character. */
export function truncateUtf8(text: string, max: number): string {
  if (max <= 0) return '';
  if (Buffer.byteLength(text) <= max) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (bytes + size > max) break;
    bytes += size;
    end += ch.length;
  }
  return text.slice(0, end);
}

/** RFC 6587 §3.4.1 octet-counting frame. */
function octetFrame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}

interface Transport {
  send(messages: readonly Buffer[]): Promise<WriteResult>;
  close(): Promise<void>;
  abort(): void;
}

class UdpTransport implements Transport {
  readonly #host: string;
  readonly #port: number;
  #socket: dgram.Socket | undefined;

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
  }

  #get(): dgram.Socket {
    if (this.#socket === undefined) {
      const socket = dgram.createSocket(isIPv6(this.#host) ? 'udp6' : 'udp4');
      socket.on('error', () => {
        // ICMP errors surface here on some systems; a send callback reports its own
      });
      this.#socket = socket;
    }
    return this.#socket;
  }

  async send(messages: readonly Buffer[]): Promise<WriteResult> {
    const socket = this.#get();
    const results = await Promise.all(
      messages.map(
        (m) =>
          new Promise<boolean>((resolve) => {
            try {
              socket.send(m, this.#port, this.#host, (err) => resolve(err === null || err === undefined));
            } catch {
              resolve(false);
            }
          }),
      ),
    );
    const written = results.filter(Boolean).length;
    return { written, failed: messages.length - written };
  }

  close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  abort(): void {
    void this.close();
  }
}

export interface TcpTiming {
  readonly connectTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
}

const TCP_TIMING: TcpTiming = { connectTimeoutMs: 3000, writeTimeoutMs: 5000, backoffMinMs: 100, backoffMaxMs: 30_000 };

class TcpTransport implements Transport {
  readonly #host: string;
  readonly #port: number;
  readonly #timing: TcpTiming;
  readonly #onError: (text: string) => void;
  #socket: net.Socket | undefined;
  #retryAt = 0;
  #backoff: number;
  #closed = false;
  /** connections made (tests: a reconnect happened) */
  connects = 0;

  constructor(host: string, port: number, timing: TcpTiming, onError: (text: string) => void) {
    this.#host = host;
    this.#port = port;
    this.#timing = timing;
    this.#backoff = timing.backoffMinMs;
    this.#onError = onError;
  }

  async #connected(): Promise<net.Socket> {
    const current = this.#socket;
    if (current !== undefined && !current.destroyed && current.writable) return current;
    this.#socket = undefined;
    if (this.#closed) throw new Error('syslog sink closed');
    const wait = this.#retryAt - Date.now();
    if (wait > 0) throw new Error(`syslog receiver ${this.#host}:${this.#port} unreachable; next try in ${wait} ms`);
    try {
      const socket = await this.#connect();
      this.#backoff = this.#timing.backoffMinMs;
      this.connects++;
      return socket;
    } catch (e: unknown) {
      this.#retryAt = Date.now() + this.#backoff;
      this.#backoff = Math.min(this.#backoff * 2, this.#timing.backoffMaxMs);
      throw e;
    }
  }

  #connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.#host, port: this.#port });
      const timer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${this.#timing.connectTimeoutMs} ms`)), this.#timing.connectTimeoutMs);
      const failed = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', failed);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        socket.on('error', (err) => this.#onError(errorText(err)));
        socket.on('close', () => {
          if (this.#socket === socket) this.#socket = undefined;
        });
        socket.resume(); // a receiver may talk back; nothing it says matters
        this.#socket = socket;
        resolve(socket);
      });
    });
  }

  async send(messages: readonly Buffer[]): Promise<WriteResult> {
    const socket = await this.#connected();
    const data = Buffer.concat(messages.map(octetFrame));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`syslog receiver did not take data within ${this.#timing.writeTimeoutMs} ms`));
      }, this.#timing.writeTimeoutMs);
      socket.write(data, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
    });
    return { written: messages.length, failed: 0 };
  }

  close(): Promise<void> {
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  abort(): void {
    this.#closed = true;
    this.#socket?.destroy();
    this.#socket = undefined;
  }
}

class SyslogWriter implements SinkWriter<GatewayEvent> {
  readonly #transport: Transport;
  readonly #format: SyslogFormatOptions;

  constructor(transport: Transport, format: SyslogFormatOptions) {
    this.#transport = transport;
    this.#format = format;
  }

  async write(batch: readonly GatewayEvent[]): Promise<WriteResult> {
    const messages: Buffer[] = [];
    let failed = 0;
    for (const event of batch) {
      try {
        messages.push(formatSyslog(event, this.#format));
      } catch {
        failed++;
      }
    }
    if (messages.length === 0) return { written: 0, failed };
    const result = await this.#transport.send(messages);
    return { written: result.written, failed: failed + result.failed };
  }

  close(): Promise<void> {
    return this.#transport.close();
  }

  abort(): void {
    this.#transport.abort();
  }
}

export interface SyslogSinkOptions {
  readonly index: number;
  readonly config: SyslogConfig;
  readonly queueSize: number;
  readonly onMetric?: MetricHandler | undefined;
  readonly version?: string;
  readonly hostname?: string;
  readonly tcpTiming?: Partial<TcpTiming>;
}

export function createSyslogSink(options: SyslogSinkOptions): QueuedSink<GatewayEvent> {
  const c = options.config;
  let sink: QueuedSink<GatewayEvent> | undefined;
  const transport =
    c.protocol === 'udp'
      ? new UdpTransport(c.host, c.port)
      : new TcpTransport(c.host, c.port, { ...TCP_TIMING, ...options.tcpTiming }, (text) => sink?.noteError(text));
  const writer = new SyslogWriter(transport, {
    format: c.format,
    facility: c.facility,
    appName: c.app_name,
    sdId: c.sd_id,
    hostname: options.hostname ?? osHostname(),
    procId: String(process.pid),
    version: options.version ?? productVersion(),
    maxBytes: c.protocol === 'udp' ? UDP_MAX_BYTES : TCP_MAX_BYTES,
  });
  sink = new QueuedSink<GatewayEvent>(writer, {
    name: `syslog.${options.index}`,
    kind: `syslog:${c.protocol}/${c.format}`,
    target: `${c.host}:${c.port}`,
    capacity: options.queueSize,
    // UDP: one datagram per event anyway; TCP: one write per batch
    batchSize: 200,
    lingerMs: 0,
    onMetric: options.onMetric,
  });
  return sink;
}
