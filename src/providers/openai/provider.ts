/**
 * The OpenAI provider: `/v1/*` with a bearer key from `keys`. Off never: it is also the gateway's
 * default voice (its unknown-URL answer is what any URL outside every provider gets, as
 * api.openai.com answers them).
 */
import type { Provider, ProviderRuntime } from '../../core/provider.js';
import { openaiCall } from './surface.js';
import { writeOpenAIError } from './render.js';

const runtime: ProviderRuntime = {
  match: (ex) => (ex.path.startsWith('/v1/') ? openaiCall : null),
  unknownUrl(ex) {
    writeOpenAIError(ex.res, 'invalid_url', [ex.req.method ?? 'GET', ex.path]);
  },
  fault(ex) {
    writeOpenAIError(ex.res, 'upstream_error');
  },
};

export const openaiProvider: Provider = {
  name: 'openai',
  keyFormats: ['openai'],
  compile: () => runtime,
};
