/**
 * The key layout both backends share (memory uses these strings as map keys; Redis prepends
 * `<prefix>{<hash_tag>}:`). Free-text parts are length-prefixed, so no rule name, lure id or
 * client-controlled key can make two different entries collide (`a:b`+`c` vs `a`+`b:c`).
 */

export const limitKey = (rule: string, key: string): string => `l:${rule.length}:${rule}:${key}`;
export const lureKey = (lureId: string, subject: string): string => `u:${lureId.length}:${lureId}:${subject}`;
export const usageKey = (key: string): string => `q:${key}`;
export const blockKey = (subject: string): string => `b:${subject}`;
export const canaryKey = (token: string): string => `c:${token}`;
/** Redis only: the sorted set of blocked subjects scored by `until`, for listBlocks(). */
export const BLOCK_INDEX = 'blocks';

/** Reason recorded on a block set by the lure threshold. */
export const lureBlockReason = (lureId: string): string => `lure threshold: ${lureId}`;
