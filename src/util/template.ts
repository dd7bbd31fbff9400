/**
 * Message templates of the coded error registries (providers' `errors.ts`, `honeygate keys`):
 * `{0}` … `{9}` stand for the arguments, in order; a missing argument is the empty string.
 */
const PLACEHOLDER = /\{(\d)\}/g;

/** The template with each `{n}` replaced by `args[n]` (as written: the caller escapes for its format). */
export function fillTemplate(template: string, args: readonly string[]): string {
  return template.replace(PLACEHOLDER, (_m, i: string) => args[Number(i)] ?? '');
}
