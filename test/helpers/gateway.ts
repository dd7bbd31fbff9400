/** Start a real gateway on 127.0.0.1:0 from a config object; collect its events. */
import { loadConfigObject } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { formatIssue } from '../../src/config/issues.js';
import { EventBus } from '../../src/events/bus.js';
import type { GatewayEvent } from '../../src/events/model.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway/gateway.js';

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly config: Readonly<Config>;
  readonly events: GatewayEvent[];
  /** wait until `n` events were published (bounded) */
  waitForEvents(n: number, timeoutMs?: number): Promise<GatewayEvent[]>;
  close(): Promise<void>;
}

export async function configFrom(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<Readonly<Config>> {
  const { config, issues } = await loadConfigObject({ listen: { host: '127.0.0.1', port: 0 }, ...raw }, { env });
  if (!config) throw new Error(issues.map(formatIssue).join('\n'));
  return config;
}

export async function startTestGateway(raw: Record<string, unknown>, options: GatewayOptions = {}): Promise<TestGateway> {
  const config = await configFrom(raw);
  const bus = options.bus ?? new EventBus();
  const events: GatewayEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const gateway = await startGateway(config, { ...options, bus, port: 0, host: '127.0.0.1' });
  return {
    gateway,
    url: gateway.url,
    config,
    events,
    async waitForEvents(n, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (events.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      return events;
    },
    close: () => gateway.close(),
  };
}

/** A raw HTTP/1.1 exchange over a socket, to see status line, header order and spelling as sent. */
export async function rawRequest(url: string, request: string): Promise<string> {
  const { connect } = await import('node:net');
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(request);
  });
}
