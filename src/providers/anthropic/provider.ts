/**
 * The Anthropic provider: the Messages API and the endpoints around it (docs/anthropic.md). Placed
 * before OpenAI in the registry: it takes `/v1/messages*` and `/v1/complete`, and the paths both
 * APIs have (`/v1/models*`, `/v1/files*`) when the request speaks Anthropic (protocol.ts); every
 * other `/v1/` request stays OpenAI's. Always on: a thief's Anthropic request gets Anthropic's
 * answer (`invalid x-api-key`) even when no Anthropic key is configured.
 * Its keys: `anthropic_keys`, and the Anthropic-format entries of `keys` (config.ts).
 */
import { keyHash } from '../../config/rules.js';
import type { Config } from '../../config/schema.js';
import { KeyRing, type KeyRecord } from '../../core/keyring.js';
import type { Provider, ProviderRuntime } from '../../core/provider.js';
import type { CompileContext } from '../../core/provider.js';
import { anthropicKeysOf } from './rules.js';
import { isAnthropicRequest, maskAnthropicKey } from './protocol.js';
import { writeAnthropicError } from './render.js';
import { anthropicCall } from './surface.js';
import { anthropicConfigPart } from './config-part.js';

function records(config: Readonly<Config>, ctx: CompileContext): KeyRecord[] {
  return anthropicKeysOf(config).map(({ k, path }) => {
    const raw = !k.key.startsWith('sha256:');
    const name = k.name ?? path.replace('.', '-');
    return ctx.record({ name, hash: keyHash(k.key), mask: k.mask ?? (raw ? maskAnthropicKey(k.key) : undefined), campaign: k.campaign, placement: k.placement }, k, 'anthropic');
  });
}

function compile(config: Readonly<Config>, ctx: CompileContext): ProviderRuntime {
  const keyring = new KeyRing(records(config, ctx));
  const call = anthropicCall(keyring);
  return {
    match: (ex) => (ex.path.startsWith('/v1/') && isAnthropicRequest(ex.path, ex.req.headers) ? call : null),
    unknownUrl(ex) {
      writeAnthropicError(ex.res, 'not_found');
    },
    fault(ex) {
      writeAnthropicError(ex.res, 'api_error');
    },
    keys: keyring.records,
  };
}

export const anthropicProvider: Provider = {
  name: 'anthropic',
  config: anthropicConfigPart,
  keyFormats: ['anthropic'],
  compile,
};
