/**
 * Assembly of the public listener: node:http in, and node:http2 on the same port (listener.ts; the
 * hot path keeps to the least a Node proxy can do; fastify serves only the admin listener), routing
 * through the provider registry (registry.ts, in its order), lifecycle (reload swaps the runtime and
 * its compiled providers whole; close drains in-flight requests, then closes pools, store and sinks).
 * `createGateway` builds everything without a socket; `startGateway` also listens.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Config } from '../config/schema.js';
import { EventBus } from '../events/bus.js';
import { buildSystemEvent } from '../events/build.js';
import { createStore } from '../store/index.js';
import type { Store, StoreHealth } from '../store/types.js';
import { canaryRoute } from '../deception/canary-hits.js';
import { publishEarlyAlert, publishExchange } from '../events/publish.js';
import { Exchange } from '../core/exchange.js';
import { cutReason } from '../core/cut.js';
import type { HttpRequest, HttpResponse } from '../core/http.js';
import { closeAfterAnswer, createListener } from './listener.js';
import { describeTls, readTls, watchTlsFiles } from './tls.js';
import type { Provider, ProviderRuntime } from '../core/provider.js';
import { buildRuntime } from '../core/runtime.js';
import { servePipeline } from '../core/serve.js';
import type { GatewayState } from '../core/provider.js';
import { DEFAULT_PROVIDER, PROVIDERS } from './registry.js';

export interface GatewayOptions {
  readonly store?: Store;
  readonly bus?: EventBus;
  /** override config.listen */
  readonly host?: string;
  readonly port?: number;
  /** more providers, tried before the registry's (a protocol of the embedding program's own) */
  readonly providers?: readonly Provider[];
}

export interface Gateway {
  /** the public listener (HTTP/1.1 and HTTP/2 on one port) */
  readonly server: Server;
  readonly state: GatewayState;
  /** base URL once listening */
  url: string;
  /** swap the runtime; resolves to notes for the reload report (certificates reloaded …) */
  reload(config: Readonly<Config>): Promise<readonly string[]>;
  /** re-read the TLS certificates now (also done on file change and on reload) */
  reloadTls(): readonly string[];
  /**
   * Waits (at most `timeoutMs`) for the store to answer; a store still down then is reported as a
   * `store:degraded` event, and requests meet the failure policy until it recovers by itself.
   */
  ready(timeoutMs: number): Promise<StoreHealth>;
  close(): Promise<void>;
}

/** The provider that answers for a request: the one that took it, else the default. */
function voiceOf(ex: Exchange, state: GatewayState): ProviderRuntime | undefined {
  return (ex.surface !== undefined ? state.runtime.providers.get(ex.surface) : undefined) ?? state.runtime.providers.get(DEFAULT_PROVIDER.name);
}

function onError(ex: Exchange, state: GatewayState, e: unknown): void {
  // never echo internal detail: the provider's generic error, the cause goes to stderr once
  process.emitWarning(`honeygate: request failed: ${e instanceof Error ? e.message : String(e)}`);
  if (!ex.res.headersSent) {
    const voice = voiceOf(ex, state);
    if (voice) voice.fault(ex);
    else ex.res.destroy();
  } else if (!ex.res.destroyed) ex.res.destroy();
}

/** Publish the request's event once its response has closed (never on the way in). */
function finishExchange(ex: Exchange, state: GatewayState): void {
  // cut before its end: the forwarder learns why (an upstream reset, a stall) just after the
  // response closed, so this event waits one turn of the loop for it
  if (!ex.res.writableFinished) {
    setImmediate(() => {
      const cut = cutReason(ex.res);
      if (cut !== undefined) ex.cut = cut;
      publishExchange(ex, state.bus);
    });
    return;
  }
  publishExchange(ex, state.bus);
}

/**
 * Store health as honeygate.system events: `store:connected` the first time the store
 * answers, `store:degraded` when it stops (or is still unreachable when the gateway starts),
 * `store:recovered` when it answers again. Each state is reported once.
 */
function storeHealthReporter(bus: EventBus): (h: StoreHealth) => void {
  let last: 'none' | 'up' | 'down' = 'none';
  return (h) => {
    const up = h.ok && !h.degraded;
    if ((up && last === 'up') || (!up && last === 'down')) return;
    const action = up ? (last === 'none' ? 'store:connected' : 'store:recovered') : 'store:degraded';
    last = up ? 'up' : 'down';
    bus.publish(buildSystemEvent('store', action, `${h.backend}: ${h.detail ?? (up ? 'ok' : 'unavailable')}`, up ? 'success' : 'failure'));
  };
}

export function createGateway(config: Readonly<Config>, options: GatewayOptions = {}): Gateway {
  const bus = options.bus ?? new EventBus();
  const reportStore = storeHealthReporter(bus);
  const store = options.store ?? createStore(config.store, { onHealthChange: reportStore });
  const registry: readonly Provider[] = [...(options.providers ?? []), ...PROVIDERS];
  const state: GatewayState = {
    runtime: buildRuntime(config, registry),
    store,
    bus,
    cache: new Map(),
    canarySecret: config.canary_secret ?? randomBytes(32).toString('base64url'),
    publicUrl: config.public_url ?? `http://${config.listen.host}:${config.listen.port}`,
    onDeceive: (ex) => publishEarlyAlert(ex, bus),
  };
  const unknownUrl = (ex: Exchange): void => {
    // outside every provider: the default provider's own answer for an unknown URL
    ex.surface = DEFAULT_PROVIDER.name;
    voiceOf(ex, state)?.unknownUrl(ex);
  };

  const handle = async (ex: Exchange): Promise<void> => {
    const url = ex.req.url ?? '/';
    const q = url.indexOf('?');
    ex.path = q < 0 ? url : url.slice(0, q);
    if (canaryRoute(ex, state, unknownUrl)) return;
    // the providers on for this config, in registry order (rebuilt with the runtime on reload)
    for (const [name, provider] of state.runtime.providers) {
      const call = provider.match(ex, state);
      if (call === null) continue;
      if (call.answer) {
        await call.answer(state);
        return;
      }
      return servePipeline(ex, name, call, state);
    }
    unknownUrl(ex);
  };

  // one handler for HTTP/1.1 and HTTP/2 requests
  const listener = createListener((req: HttpRequest, res: HttpResponse) => {
    const ex = new Exchange(req, res);
    res.once('close', () => finishExchange(ex, state));
    handle(ex).catch((e: unknown) => onError(ex, state, e));
  }, {
    keepAliveTimeoutMs: config.listen.keep_alive_timeout,
    headersTimeoutMs: config.listen.headers_timeout,
    requestTimeoutMs: config.listen.request_timeout,
    bodyIdleTimeoutMs: config.listen.body_idle_timeout,
    maxHeaderBytes: config.listen.max_header_bytes,
    ...(config.listen.tls ? { tls: readTls(config.listen.tls) } : {}),
  });
  // certificates: re-read on reload and when a file changes (a renewal)
  const reloadTls = (): readonly string[] => {
    const tls = state.runtime.config.listen.tls;
    if (!tls) return [];
    try {
      const materials = readTls(tls);
      listener.setTls(materials);
      const lines = describeTls(materials);
      bus.publish(buildSystemEvent('tls', 'tls:reloaded', lines.join('; ').slice(0, 2000)));
      return lines.map((l) => `listen.tls: serving ${l}`);
    } catch (e: unknown) {
      const why = e instanceof Error ? e.message : String(e);
      bus.publish(buildSystemEvent('tls', 'tls:reload_failed', why.slice(0, 2000), 'failure'));
      return [`listen.tls: not reloaded, the served certificates are kept: ${why}`];
    }
  };
  const stopWatch = config.listen.tls ? watchTlsFiles(config.listen.tls, () => void reloadTls()) : () => undefined;
  // malformed HTTP never reaches a handler: answer as a plain edge would, and close
  listener.http1.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET')) {
      socket.destroy();
      return;
    }
    if (closeAfterAnswer(socket as Socket)) return;
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nServer: cloudflare\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });

  const gateway: Gateway = {
    server: listener.server,
    state,
    url: '',
    async reload(next) {
      const old = state.runtime;
      state.runtime = buildRuntime(next, registry);
      state.cache.clear();
      await old.close();
      return reloadTls();
    },
    reloadTls,
    async ready(timeoutMs) {
      const health = store.ready ? await store.ready(timeoutMs) : store.health();
      if (!health.ok || health.degraded) reportStore(health);
      return health;
    },
    async close() {
      stopWatch();
      await listener.close(state.runtime.config.listen.drain_timeout);
      await state.runtime.close();
      await store.close();
    },
  };
  return gateway;
}

export async function startGateway(config: Readonly<Config>, options: GatewayOptions = {}): Promise<Gateway> {
  const gateway = createGateway(config, options);
  // listen only once the shared store answers (bounded): an instance joining a load balancer must
  // not serve its first requests from local state (fail_open) or refuse them (fail_closed)
  if (gateway.state.store.backend === 'redis') await gateway.ready(config.store.redis.connect_timeout);
  const host = options.host ?? config.listen.host;
  const port = options.port ?? config.listen.port;
  try {
    await new Promise<void>((resolve, reject) => {
      gateway.server.once('error', reject);
      gateway.server.listen({ port, host, backlog: config.listen.backlog }, () => {
        gateway.server.off('error', reject);
        resolve();
      });
    });
  } catch (e: unknown) {
    // release the store (a Redis client reconnects forever) and the pools, or the process never exits
    await gateway.close().catch(() => undefined);
    throw e;
  }
  const address = gateway.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  gateway.url = `${config.listen.tls ? 'https' : 'http'}://${shownHost}:${address.port}`;
  if (config.public_url === undefined) gateway.state.publicUrl = gateway.url;
  return gateway;
}
