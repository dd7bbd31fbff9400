/**
 * honeygate's public API: start a gateway from a validated config, load a config, and the types a
 * provider of the embedding program's own implements (core/provider.ts) to plug in through
 * `startGateway(config, { providers: [...] })`.
 */
// the providers' config typings (gateway/registry.ts), so `Config` is the whole file's for a program using honeygate
import './gateway/registry.js';
export { startGateway, createGateway, type Gateway, type GatewayOptions } from './gateway/gateway.js';
export { loadConfigFile as loadConfig, loadConfigFile, loadConfigObject, loadConfigText } from './config/load.js';
export type { Config } from './config/schema.js';
export type { Provider, ProviderRuntime, ProviderCall, AdmitExtras, GatewayState, CompileContext } from './core/provider.js';
export type { ProviderConfigPart } from './config/part.js';
export type { Exchange } from './core/exchange.js';
export type { Classification, KeyRecord } from './core/keyring.js';
export type { Verdict } from './core/verdict.js';
