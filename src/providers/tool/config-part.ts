/**
 * The tool provider's part of the configuration (config/part.ts): `routes` and `cidr_presets`, and
 * their rules (config.ts), which know the built-in presets (presets.ts).
 */
import type { z } from 'zod';
import type { ProviderConfigPart } from '../../config/part.js';
import { checkToolRules, cidrPresetsSchema, routesSchema } from './config.js';
import { BUILTIN_PRESET_NAMES } from './presets.js';

const sections = {
  routes: routesSchema,
  cidr_presets: cidrPresetsSchema,
};

declare module '../../config/schema.js' {
  interface ProviderConfigSections extends z.output<z.ZodObject<typeof sections>> {}
}

export const toolConfigPart: ProviderConfigPart = {
  sections,
  rules: (config) => checkToolRules(config.routes, config.cidr_presets, BUILTIN_PRESET_NAMES),
};
