import dgram from 'node:dgram';
import net from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';
import { syslogConfigSchema } from '../../src/events/config.js';
import type { GatewayEvent } from '../../src/events/model.js';
import type { QueuedSink } from '../../src/events/sinks/queue.js';
import { createSyslogSink, formatSyslog, TCP_MAX_BYTES, truncateUtf8, UDP_MAX_BYTES, type SyslogFormatOptions } from '../../src/events/sinks/syslog.js';
import { makeEvent, waitFor } from './fixtures.js';
import { parse5424, parseCef, splitOctetCounted } from './syslog-parse.js';

const HOSTILE = 'a"b\\c]d|e=f\ng\rh [x="y"] \\] \\" cs1=evil | CEF:0|x ü 🐝 \u0000\u001b[2J end\\';

function options(extra: Partial<SyslogFormatOptions> = {}): SyslogFormatOptions {
  return {
    format: 'rfc5424',
    facility: 16,
    appName: 'honeygate',
    sdId: 'honeygate@32473',
    hostname: 'gw-1.example.net',
    procId: '4242',
    version: '0.1.0',
    maxBytes: TCP_MAX_BYTES,
    ...extra,
  };
}

function params(event: GatewayEvent, extra: Partial<SyslogFormatOptions> = {}): Map<string, string> {
  const parsed = parse5424(formatSyslog(event, options(extra)));
  return new Map(parsed.sd[0]?.params ?? []);
}

/** what survives the trip: controls other than CR/LF (CEF) become U+FFFD */
const controlsReplaced = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');

describe('the test parsers are strict', () => {
  it('rejects malformed RFC 5424', () => {
    const good = '<134>1 2024-05-01T00:00:00.000Z host app 1 request [a@1 k="v"] msg';
    expect(parse5424(good).sd).toEqual([{ id: 'a@1', params: [['k', 'v']] }]);
    for (const bad of [
      '<192>1 - - - - - -',
      '<01>1 - - - - - -',
      '<13>0 - - - - - -',
      '<13>1 2024-13-01T00:00:00Z h a 1 m -',
      '<13>1 2024-05-01 00:00:00 h a 1 m -',
      '<13>1 - h a 1 m [a@1 k=v]',
      '<13>1 - h a 1 m [a@1 k="v]"]',
      '<13>1 - h a 1 m [a@1 k="v"',
      '<13>1 - h a 1 m [a b="c"]x',
      `<13>1 - ${'h'.repeat(256)} a 1 m -`,
      `<13>1 - h ${'a'.repeat(49)} 1 m -`,
      '<13>1 - h a 1 m',
      '<13>1 - h\u00e9 a 1 m -',
    ]) {
      expect(() => parse5424(bad), bad).toThrow(/RFC 5424/);
    }
    expect(() => parse5424(Buffer.from([0x3c, 0x31, 0x33, 0x3e, 0x31, 0x20, 0xff]))).toThrow();
  });

  it('rejects malformed CEF and octet framing', () => {
    expect(parseCef('CEF:0|a|b|1|s|n|5|k=v x=y z').extension).toEqual({ k: 'v', x: 'y z' });
    for (const bad of ['CEF:1|a|b|1|s|n|5|', 'CEF:0|a|b|1|s|n|11|', 'CEF:0|a|b|1|s|n|5', 'CEF:0|a|b|1|s|n|5|k=a=b', 'CEF:0|a\\x|b|1|s|n|5|', 'CEF:0|a|b|1|s|n|5|k=a\nb', 'CEF:0|a|b|1|s|n|5|k=v k=w']) {
      expect(() => parseCef(bad), bad).toThrow(/CEF/);
    }
    expect(splitOctetCounted(Buffer.from('3 abc2 de1 f')).frames.map(String)).toEqual(['abc', 'de', 'f']);
    expect(splitOctetCounted(Buffer.from('5 ab')).rest.toString()).toBe('5 ab');
    for (const bad of ['03 abc', 'x abc', '0 ', '123456789 a']) expect(() => splitOctetCounted(Buffer.from(bad)), bad).toThrow();
  });
});

describe('RFC 5424 formatting', () => {
  it('writes a header, an ECS structured-data element and a summary', () => {
    const event = makeEvent({ ip: '203.0.113.9', keyClass: 'lure', campaign: 'github-leak', placement: 'repo/.env', time: '2024-05-01T10:20:30.123Z' });
    const m = parse5424(formatSyslog(event, options()));
    expect(m).toMatchObject({ facility: 16, severity: 4, version: 1, timestamp: '2024-05-01T10:20:30.123Z', hostname: 'gw-1.example.net', appName: 'honeygate', procId: '4242', msgId: 'request' });
    expect(m.sd[0]?.id).toBe('honeygate@32473');
    const p = new Map(m.sd[0]?.params);
    expect(p.get('event.id')).toBe(event.event.id);
    expect(p.get('source.ip')).toBe('203.0.113.9');
    expect(p.get('honeygate.key.class')).toBe('lure');
    expect(p.get('honeygate.key.campaign')).toBe('github-leak');
    expect(p.get('honeygate.verdict.action')).toBe('deceive');
    expect(p.get('http.response.status_code')).toBe('200');
    expect(m.msg).toMatch(/^Lure key used: src=203\.0\.113\.9 key=lure campaign=github-leak placement=repo\/\.env/);
  });

  it('maps severities: canary critical, block warning, forward informational', () => {
    expect(parse5424(formatSyslog(makeEvent({ dataset: 'honeygate.canary' }), options({ facility: 4 }))).pri).toBe(4 * 8 + 2);
    expect(parse5424(formatSyslog(makeEvent({ action: 'block' }), options())).severity).toBe(4);
    expect(parse5424(formatSyslog(makeEvent({ action: 'reject', status: 401 }), options())).severity).toBe(5);
    expect(parse5424(formatSyslog(makeEvent(), options())).severity).toBe(6);
  });

  it('escapes hostile values so they round-trip and never break the frame', () => {
    const event = makeEvent({ model: HOSTILE, path: `/v1/${HOSTILE}`, userAgent: HOSTILE, campaign: HOSTILE });
    const p = params(event);
    expect(p.get('honeygate.model')).toBe(controlsReplaced(HOSTILE));
    expect(p.get('honeygate.key.campaign')).toBe(controlsReplaced(HOSTILE));
    expect(p.get('url.path')).toBe(controlsReplaced(`/v1/${HOSTILE}`));
    const text = formatSyslog(event, options()).toString('utf8');
    expect(text).not.toMatch(/[\n\r\u0000\u001b]/);
  });

  it('replaces a timestamp that is not RFC 3339 and header text that is not PRINTUSASCII', () => {
    const m = parse5424(formatSyslog(makeEvent({ time: 'yesterday at noon' }), options({ hostname: 'höst name\n', appName: 'app name' })));
    expect(Date.now() - Date.parse(m.timestamp)).toBeLessThan(5000);
    expect(m.hostname).toBe('hstname');
    expect(m.appName).toBe('appname');
    expect(parse5424(formatSyslog(makeEvent(), options({ hostname: '\u00e9\u00e9' }))).hostname).toBe('-');
  });

  it('stays within 2048 octets for UDP, keeping the most important fields', () => {
    const huge = '🐝"]\\'.repeat(5000);
    const event = makeEvent({ model: huge, path: `/${huge}`, userAgent: huge, campaign: 'c1', prompt: huge });
    const buf = formatSyslog(event, options({ maxBytes: UDP_MAX_BYTES }));
    expect(buf.length).toBeLessThanOrEqual(UDP_MAX_BYTES);
    const p = new Map(parse5424(buf).sd[0]?.params);
    expect(p.get('event.id')).toBe(event.event.id);
    expect(p.get('honeygate.key.campaign')).toBe('c1');
  });

  it('property: any strings give a strictly valid message within the limit, and fitting values round-trip', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constantFrom(UDP_MAX_BYTES, TCP_MAX_BYTES), (a, b, max) => {
        const event = makeEvent({ model: a, campaign: b, placement: a + b, toolUser: b });
        const buf = formatSyslog(event, options({ maxBytes: max }));
        expect(buf.length).toBeLessThanOrEqual(max);
        const p = new Map(parse5424(buf).sd[0]?.params);
        const fits = (s: string): string => Buffer.from(controlsReplaced(s.slice(0, 256)), 'utf8').toString('utf8');
        if (p.has('honeygate.model')) expect(p.get('honeygate.model')).toBe(fits(a));
        expect(p.get('honeygate.key.campaign') ?? fits(b)).toBe(fits(b));
      }),
      { numRuns: 300 },
    );
  });
});

describe('CEF formatting', () => {
  it('writes CEF:0 with the honeygate header and standard extension keys', () => {
    const event = makeEvent({ ip: '198.51.100.4', keyClass: 'lure', campaign: 'ci', placement: 'gha', time: '2024-05-01T10:20:30.123Z' });
    const m = parse5424(formatSyslog(event, options({ format: 'cef', version: '1.2|3' })));
    expect(m.sd).toEqual([]);
    const cef = parseCef(m.msg ?? '');
    expect(cef).toMatchObject({ vendor: 'honeygate', product: 'honeygate', deviceVersion: '1.2|3', signatureId: 'lure', name: 'Lure key used', severity: 7 });
    expect(cef.extension).toMatchObject({
      rt: String(Date.parse('2024-05-01T10:20:30.123Z')),
      externalId: event.event.id,
      src: '198.51.100.4',
      act: 'deceive',
      cs1Label: 'campaign',
      cs1: 'ci',
      cs2Label: 'placement',
      cs2: 'gha',
      cs5Label: 'keyClass',
      cs5: 'lure',
      cn1Label: 'httpStatus',
      cn1: '200',
      requestMethod: 'POST',
    });
    expect(parseCef(parse5424(formatSyslog(makeEvent({ dataset: 'honeygate.canary' }), options({ format: 'cef' }))).msg ?? '')).toMatchObject({ signatureId: 'canary', severity: 9 });
  });

  it('escapes hostile values in the extension so they round-trip', () => {
    const event = makeEvent({ model: HOSTILE, userAgent: HOSTILE, path: HOSTILE, campaign: HOSTILE });
    const cef = parseCef(parse5424(formatSyslog(event, options({ format: 'cef' }))).msg ?? '');
    const expected = HOSTILE.replace(/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '\uFFFD');
    expect(cef.extension['cs4']).toBe(expected);
    expect(cef.extension['cs1']).toBe(expected);
    expect(cef.extension['requestClientApplication']).toBe(expected);
    expect(cef.extension['request']).toBe(expected);
    expect(Object.keys(cef.extension)).not.toContain('evil');
  });

  it('property: any strings give parseable CEF within the limit, labels always with their values', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ maxLength: 400 }), (a, b) => {
        const event = makeEvent({ model: a, campaign: b, placement: a, userAgent: a + b, path: b });
        const buf = formatSyslog(event, options({ format: 'cef', maxBytes: UDP_MAX_BYTES }));
        expect(buf.length).toBeLessThanOrEqual(UDP_MAX_BYTES);
        const ext = parseCef(parse5424(buf).msg ?? '').extension;
        for (const n of ['cs1', 'cs2', 'cs3', 'cs4', 'cs5', 'cs6', 'cn1']) expect(n in ext).toBe(`${n}Label` in ext);
        if ('cs1' in ext) expect(ext['cs1']).toBe(Buffer.from(b.slice(0, 256).replace(/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '\uFFFD')).toString());
      }),
      { numRuns: 300 },
    );
  });

  it('truncates UTF-8 without cutting a character', () => {
    expect(truncateUtf8('aü🐝b', 3)).toBe('aü');
    expect(truncateUtf8('aü🐝b', 6)).toBe('aü');
    expect(truncateUtf8('aü🐝b', 7)).toBe('aü🐝');
    expect(truncateUtf8('abc', 0)).toBe('');
  });
});

// ---- real receivers --------------------------------------------------------------------------

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function udpReceiver(): Promise<{ port: number; messages: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  const messages: Buffer[] = [];
  socket.on('message', (m) => messages.push(m));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => socket.close(() => r())));
  return { port: socket.address().port, messages };
}

interface TcpReceiver {
  port: number;
  frames: Buffer[];
  connections: number;
  errors: string[];
  close(): Promise<void>;
  dropClients(): void;
}

async function tcpReceiver(port = 0): Promise<TcpReceiver> {
  const sockets = new Set<net.Socket>();
  const r: TcpReceiver = {
    port: 0,
    frames: [],
    connections: 0,
    errors: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
    dropClients: () => {
      for (const s of sockets) s.destroy();
    },
  };
  const server = net.createServer((socket) => {
    r.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      try {
        const { frames, rest } = splitOctetCounted(Buffer.concat([pending, chunk]), TCP_MAX_BYTES);
        r.frames.push(...frames);
        pending = Buffer.from(rest);
      } catch (e: unknown) {
        r.errors.push(String(e));
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  r.port = (server.address() as net.AddressInfo).port;
  cleanups.push(async () => {
    if (server.listening) await r.close();
  });
  return r;
}

function sinkFor(config: Record<string, unknown>, tcpTiming = {}): QueuedSink {
  const sink = createSyslogSink({ index: 0, config: syslogConfigSchema.parse(config), queueSize: 10_000, hostname: 'gw-test', tcpTiming });
  cleanups.push(() => sink.close(2000));
  return sink;
}

describe('syslog over the network', () => {
  it('sends one RFC 5424 datagram per event over UDP', async () => {
    const rx = await udpReceiver();
    const sink = sinkFor({ host: '127.0.0.1', port: rx.port, protocol: 'udp', facility: 'auth' });
    const bus = new EventBus();
    bus.subscribe((e) => sink.offer(e));
    const events = Array.from({ length: 50 }, (_, i) => makeEvent({ keyClass: i % 2 === 0 ? 'lure' : 'valid', model: `${HOSTILE}${i}` }));
    for (const e of events) bus.publish(e);
    await waitFor(() => rx.messages.length === 50, 5000);
    const parsed = rx.messages.map((m) => parse5424(m));
    expect(new Set(parsed.map((m) => new Map(m.sd[0]?.params).get('event.id')))).toEqual(new Set(events.map((e) => e.event.id)));
    for (const m of parsed) {
      expect(m.facility).toBe(4);
      expect(m.hostname).toBe('gw-test');
    }
    expect(sink.stats()).toMatchObject({ written: 50, failed: 0, kind: 'syslog:udp/rfc5424' });
  });

  it('sends octet-counted CEF over TCP', async () => {
    const rx = await tcpReceiver();
    const sink = sinkFor({ host: '127.0.0.1', port: rx.port, protocol: 'tcp', format: 'cef' });
    const events = Array.from({ length: 300 }, (_, i) => makeEvent({ userAgent: `${HOSTILE}\n${i}`, prompt: 'p'.repeat(i * 30) }));
    for (const e of events) sink.offer(e);
    await waitFor(() => rx.frames.length === 300, 5000);
    expect(rx.errors).toEqual([]);
    const ids = rx.frames.map((f) => parseCef(parse5424(f).msg ?? '').extension['externalId']);
    expect(ids).toEqual(events.map((e) => e.event.id));
    expect(rx.connections).toBe(1);
  });

  it('fails fast while a TCP receiver is down and reconnects when it is back', async () => {
    const first = await tcpReceiver();
    const port = first.port;
    const sink = sinkFor({ host: '127.0.0.1', port, protocol: 'tcp' }, { backoffMinMs: 50, backoffMaxMs: 200 });
    sink.offer(makeEvent({ model: 'before' }));
    await waitFor(() => first.frames.length === 1);
    await first.close();
    // receiver gone: the sink notices on a write (or on close), fails batches quickly, never blocks
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      sink.offer(makeEvent({ model: `down-${i}` }));
      await sink.flush();
    }
    expect(Date.now() - started).toBeLessThan(3000);
    expect(sink.stats().failed).toBeGreaterThan(0);
    const second = await tcpReceiver(port);
    await waitFor(async () => {
      sink.offer(makeEvent({ model: 'after' }));
      await sink.flush();
      return second.frames.length > 0;
    }, 5000);
    const models = second.frames.map((f) => new Map(parse5424(f).sd[0]?.params).get('honeygate.model'));
    expect(models).toContain('after');
    expect(second.errors).toEqual([]);
  });

  it('counts failures, without throwing, when nothing listens', async () => {
    const rx = await tcpReceiver();
    const port = rx.port;
    await rx.close();
    const sink = sinkFor({ host: '127.0.0.1', port, protocol: 'tcp' }, { backoffMinMs: 10_000 });
    for (let i = 0; i < 5; i++) sink.offer(makeEvent());
    await sink.flush();
    for (let i = 0; i < 5; i++) sink.offer(makeEvent());
    const started = Date.now();
    await sink.flush();
    expect(Date.now() - started).toBeLessThan(500); // in backoff: no connect attempt
    expect(sink.stats()).toMatchObject({ written: 0, failed: 10 });
    expect(sink.stats().lastError).toMatch(/ECONNREFUSED|unreachable/);
  });
});
