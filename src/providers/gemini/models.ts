/**
 * The Gemini API model catalogue the decoy lists and answers for, with what each model does on the
 * wire: token limits (context window and output ceiling), the methods it supports, its sampling
 * defaults, whether it thinks (2.5 and later: thinking tokens count toward `maxOutputTokens`), and
 * its answer family:
 * - `classic` (1.5 / 2.0): candidates carry `safetyRatings` and `avgLogprobs`, no `index`; usage
 *   has `candidatesTokensDetails` (recorded answers of gemini-2.0-flash, 2025-08);
 * - `thinking` (2.5, 3.x): candidates carry `index: 0` and no safety ratings; usage has
 *   `thoughtsTokenCount` (recorded answers of gemini-2.5-flash, 2025-12);
 * - `embedding`: embedContent / batchEmbedContents only, with the vector width;
 * - `media`: listed (image, video, speech and answer models a real key lists); their own methods
 *   (predict, predictLongRunning, generateAnswer) are not served, and the speech models refuse text
 *   output as they do.
 * Field values come from public ListModels dumps (2025) and the model pages; the 3.x previews carry
 * the limits their pages publish.
 */

export type GeminiFamily = 'classic' | 'thinking' | 'embedding' | 'media';

export interface GeminiModel {
  /** id without the `models/` prefix */
  readonly id: string;
  readonly version: string;
  readonly displayName: string;
  readonly description: string;
  readonly inputTokenLimit: number;
  readonly outputTokenLimit: number;
  readonly methods: readonly string[];
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly maxTemperature?: number;
  readonly thinking?: boolean;
  readonly family: GeminiFamily;
  /** embedding width (embedding models) */
  readonly dims?: number;
  /** the `modelVersion` answers report (aliases name their target) */
  readonly reports?: string;
  /** thinking budget bounds; `min > 0` means thinking cannot be switched off */
  readonly budget?: { readonly min: number; readonly max: number };
  /** relative speed, for the decoy's timing (tokens per second) */
  readonly tps: number;
}

const GEN = ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'] as const;
const EMBED = ['embedContent'] as const;
const GEN_SMALL = ['generateContent', 'countTokens'] as const;
const PREDICT = ['predict'] as const;
const VIDEO = ['predictLongRunning'] as const;
const THINK_SAMPLING = { temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, thinking: true } as const;
const CLASSIC_SAMPLING = { temperature: 1, topP: 0.95, topK: 40, maxTemperature: 2 } as const;
const M1 = 1_048_576;

/** In ListModels order (newest families first, as the API lists them). */
export const GEMINI_MODELS: readonly GeminiModel[] = [
  {
    id: 'gemini-2.5-flash', version: '001', displayName: 'Gemini 2.5 Flash',
    description: 'Stable version of Gemini 2.5 Flash, our mid-size multimodal model that supports up to 1 million tokens, released in June of 2025.',
    inputTokenLimit: M1, outputTokenLimit: 65_536, methods: GEN, ...THINK_SAMPLING, family: 'thinking', budget: { min: 0, max: 24_576 }, tps: 230,
  },
  {
    id: 'gemini-2.5-pro', version: '2.5', displayName: 'Gemini 2.5 Pro',
    description: 'Stable release (June 17th, 2025) of Gemini 2.5 Pro',
    inputTokenLimit: M1, outputTokenLimit: 65_536, methods: GEN, ...THINK_SAMPLING, family: 'thinking', budget: { min: 128, max: 32_768 }, tps: 110,
  },
  {
    id: 'gemini-2.0-flash', version: '2.0', displayName: 'Gemini 2.0 Flash', description: 'Gemini 2.0 Flash',
    inputTokenLimit: M1, outputTokenLimit: 8192, methods: GEN, ...CLASSIC_SAMPLING, family: 'classic', tps: 250,
  },
  {
    id: 'gemini-2.0-flash-001', version: '2.0', displayName: 'Gemini 2.0 Flash 001',
    description: 'Stable version of Gemini 2.0 Flash, our fast and versatile multimodal model for scaling across diverse tasks, released in January of 2025.',
    inputTokenLimit: M1, outputTokenLimit: 8192, methods: GEN, ...CLASSIC_SAMPLING, family: 'classic', tps: 250,
  },
  {
    id: 'gemini-2.0-flash-lite-001', version: '2.0', displayName: 'Gemini 2.0 Flash-Lite 001', description: 'Stable version of Gemini 2.0 Flash-Lite',
    inputTokenLimit: M1, outputTokenLimit: 8192, methods: GEN, ...CLASSIC_SAMPLING, family: 'classic', tps: 300,
  },
  {
    id: 'gemini-2.0-flash-lite', version: '2.0', displayName: 'Gemini 2.0 Flash-Lite', description: 'Gemini 2.0 Flash-Lite',
    inputTokenLimit: M1, outputTokenLimit: 8192, methods: GEN, ...CLASSIC_SAMPLING, family: 'classic', tps: 300,
  },
  {
    id: 'gemini-2.5-flash-lite', version: '001', displayName: 'Gemini 2.5 Flash-Lite',
    description: 'Stable version of Gemini 2.5 Flash-Lite, released in July of 2025',
    inputTokenLimit: M1, outputTokenLimit: 65_536, methods: GEN, ...THINK_SAMPLING, family: 'thinking', budget: { min: 0, max: 24_576 }, tps: 350,
  },
  {
    id: 'gemini-flash-latest', version: 'Gemini Flash Latest', displayName: 'Gemini Flash Latest', description: 'Latest release of Gemini Flash',
    inputTokenLimit: M1, outputTokenLimit: 65_536, methods: GEN, ...THINK_SAMPLING, family: 'thinking', reports: 'gemini-2.5-flash', budget: { min: 0, max: 24_576 }, tps: 230,
  },
  {
    id: 'gemini-flash-lite-latest', version: 'Gemini Flash-Lite Latest', displayName: 'Gemini Flash-Lite Latest', description: 'Latest release of Gemini Flash-Lite',
    inputTokenLimit: M1, outputTokenLimit: 65_536, methods: GEN, ...THINK_SAMPLING, family: 'thinking', reports: 'gemini-2.5-flash-lite', budget: { min: 0, max: 24_576 }, tps: 350,
  },
  {
    id: 'gemini-pro-latest', version: 'Gemini Pro Latest', displayName: 'Gemini Pro Latest', description: 'Latest release of Gemini Pro',
    inputTokenLimit: M1, outputTokenLimit: 65_536, methods: GEN, ...THINK_SAMPLING, family: 'thinking', reports: 'gemini-2.5-pro', budget: { min: 128, max: 32_768 }, tps: 110,
  },
  {
    id: 'gemini-3-pro-preview', version: '3-pro-preview-11-2025', displayName: 'Gemini 3 Pro Preview', description: 'Gemini 3 Pro Preview',
    inputTokenLimit: M1, outputTokenLimit: 65_536, methods: GEN, ...THINK_SAMPLING, family: 'thinking', budget: { min: 128, max: 32_768 }, tps: 90,
  },
  {
    id: 'gemini-3-flash-preview', version: '3-flash-preview-12-2025', displayName: 'Gemini 3 Flash Preview', description: 'Gemini 3 Flash Preview',
    inputTokenLimit: M1, outputTokenLimit: 65_536, methods: GEN, ...THINK_SAMPLING, family: 'thinking', budget: { min: 0, max: 24_576 }, tps: 220,
  },
  {
    id: 'gemini-3.1-pro-preview', version: '3.1-pro-preview', displayName: 'Gemini 3.1 Pro Preview', description: 'Gemini 3.1 Pro Preview',
    inputTokenLimit: M1, outputTokenLimit: 65_536, methods: GEN, ...THINK_SAMPLING, family: 'thinking', budget: { min: 128, max: 32_768 }, tps: 90,
  },
  {
    id: 'gemini-2.5-flash-image', version: '2.0', displayName: 'Nano Banana', description: 'Gemini 2.5 Flash Image',
    inputTokenLimit: 32_768, outputTokenLimit: 32_768, methods: ['generateContent', 'countTokens', 'batchGenerateContent'], temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, family: 'thinking', tps: 180,
  },
  {
    id: 'gemini-2.5-flash-preview-tts', version: 'gemini-2.5-flash-exp-tts-2025-05-19', displayName: 'Gemini 2.5 Flash Preview TTS', description: 'Gemini 2.5 Flash Preview TTS',
    inputTokenLimit: 8192, outputTokenLimit: 16_384, methods: ['countTokens', 'generateContent'], temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, family: 'media', tps: 0,
  },
  {
    id: 'gemini-2.5-pro-preview-tts', version: 'gemini-2.5-pro-preview-tts-2025-05-19', displayName: 'Gemini 2.5 Pro Preview TTS', description: 'Gemini 2.5 Pro Preview TTS',
    inputTokenLimit: 8192, outputTokenLimit: 16_384, methods: ['countTokens', 'generateContent'], temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2, family: 'media', tps: 0,
  },
  ...(['1b', '4b', '12b', '27b'] as const).map((size): GeminiModel => ({
    id: `gemma-3-${size}-it`, version: '001', displayName: `Gemma 3 ${size.toUpperCase()}`, description: '',
    inputTokenLimit: size === '1b' ? 32_768 : 131_072, outputTokenLimit: 8192, methods: GEN_SMALL, temperature: 1, topP: 0.95, topK: 64, family: 'classic', tps: 120,
  })),
  ...(['e4b', 'e2b'] as const).map((size): GeminiModel => ({
    id: `gemma-3n-${size}-it`, version: '001', displayName: `Gemma 3n ${size.toUpperCase()}`, description: '',
    inputTokenLimit: 8192, outputTokenLimit: 2048, methods: GEN_SMALL, temperature: 1, topP: 0.95, topK: 64, family: 'classic', tps: 120,
  })),
  {
    id: 'imagen-4.0-generate-001', version: '001', displayName: 'Imagen 4', description: 'Vertex served Imagen 4.0 model',
    inputTokenLimit: 480, outputTokenLimit: 8192, methods: PREDICT, family: 'media', tps: 0,
  },
  {
    id: 'imagen-4.0-ultra-generate-001', version: '001', displayName: 'Imagen 4 Ultra', description: 'Vertex served Imagen 4.0 ultra model',
    inputTokenLimit: 480, outputTokenLimit: 8192, methods: PREDICT, family: 'media', tps: 0,
  },
  {
    id: 'imagen-4.0-fast-generate-001', version: '001', displayName: 'Imagen 4 Fast', description: 'Vertex served Imagen 4.0 Fast model',
    inputTokenLimit: 480, outputTokenLimit: 8192, methods: PREDICT, family: 'media', tps: 0,
  },
  {
    id: 'veo-2.0-generate-001', version: '2.0', displayName: 'Veo 2', description: 'Vertex served Veo 2 model. Access to this model requires billing to be enabled on the associated Google Cloud Platform account. Please visit https://console.cloud.google.com/billing to enable it.',
    inputTokenLimit: 480, outputTokenLimit: 8192, methods: VIDEO, family: 'media', tps: 0,
  },
  {
    id: 'veo-3.0-generate-001', version: '3.0', displayName: 'Veo 3', description: 'Veo 3',
    inputTokenLimit: 480, outputTokenLimit: 8192, methods: VIDEO, family: 'media', tps: 0,
  },
  {
    id: 'veo-3.0-fast-generate-001', version: '3.0', displayName: 'Veo 3 fast', description: 'Veo 3 fast',
    inputTokenLimit: 480, outputTokenLimit: 8192, methods: VIDEO, family: 'media', tps: 0,
  },
  {
    id: 'aqa', version: '001', displayName: 'Model that performs Attributed Question Answering.',
    description: 'Model trained to return answers to questions that are grounded in provided sources, along with estimating answerable probability.',
    inputTokenLimit: 7168, outputTokenLimit: 1024, methods: ['generateAnswer'], temperature: 0.2, topP: 1, topK: 40, family: 'media', tps: 0,
  },
  {
    id: 'embedding-001', version: '001', displayName: 'Embedding 001', description: 'Obtain a distributed representation of a text.',
    inputTokenLimit: 2048, outputTokenLimit: 1, methods: EMBED, family: 'embedding', dims: 768, tps: 0,
  },
  {
    id: 'text-embedding-004', version: '004', displayName: 'Text Embedding 004', description: 'Obtain a distributed representation of a text.',
    inputTokenLimit: 2048, outputTokenLimit: 1, methods: EMBED, family: 'embedding', dims: 768, tps: 0,
  },
  {
    id: 'gemini-embedding-001', version: '001', displayName: 'Gemini Embedding 001', description: 'Obtain a distributed representation of a text.',
    inputTokenLimit: 2048, outputTokenLimit: 1, methods: ['embedContent', 'countTextTokens', 'countTokens', 'asyncBatchEmbedContent'], family: 'embedding', dims: 3072, tps: 0,
  },
];

const BY_ID: ReadonlyMap<string, GeminiModel> = new Map(GEMINI_MODELS.map((m) => [m.id, m]));

/** A model by id, with or without the `models/` prefix. */
export function findGeminiModel(name: string): GeminiModel | undefined {
  return BY_ID.get(name.startsWith('models/') ? name.slice(7) : name);
}

/** The version string answers report in `modelVersion`. */
export function reportedVersion(model: GeminiModel): string {
  return model.reports ?? model.id;
}

/** Does the model serve this method (`streamGenerateContent` goes with `generateContent`)? */
export function supports(model: GeminiModel, method: string): boolean {
  if (method === 'streamGenerateContent') return model.methods.includes('generateContent');
  if (method === 'batchEmbedContents') return model.methods.includes('embedContent');
  if (method === 'countTokens') return model.family !== 'embedding' || model.methods.includes('countTokens');
  return model.methods.includes(method);
}

/** The ListModels object of a model, in the API's key order. */
export function modelObject(model: GeminiModel): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: `models/${model.id}`,
    version: model.version,
    displayName: model.displayName,
    description: model.description,
    inputTokenLimit: model.inputTokenLimit,
    outputTokenLimit: model.outputTokenLimit,
    supportedGenerationMethods: [...model.methods],
  };
  if (model.temperature !== undefined) out['temperature'] = model.temperature;
  if (model.topP !== undefined) out['topP'] = model.topP;
  if (model.topK !== undefined) out['topK'] = model.topK;
  if (model.maxTemperature !== undefined) out['maxTemperature'] = model.maxTemperature;
  if (model.thinking) out['thinking'] = true;
  return out;
}
