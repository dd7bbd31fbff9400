/**
 * Would a real model refuse this request? A small, conservative classifier of the last user turn,
 * shared by the decoys (the OpenAI decoy uses it; Anthropic and Bedrock can). A real model refuses
 * clearly harmful asks: weapons capable of mass harm, malware that steals credentials, sexual
 * content involving minors, the synthesis of hard drugs. A decoy that happily answers those is
 * easy to tell from the real thing; one that refuses ordinary prompts is worse, so every rule needs
 * the ask itself (a how-to frame or an imperative plus the harmful object), never a topic alone:
 * "the history of the atomic bomb", "how do I detect ransomware", "how to make a bath bomb" pass.
 *
 * Cost: the patterns are compiled once at module load. Most prompts fail one cheap trigger test
 * (a single alternation of the harmful words) and never reach the rules; the text looked at is
 * capped (`MAX_CHARS`), so a huge prompt costs no more than a normal one.
 */

export type RefusalCategory = 'mass-harm-weapon' | 'credential-malware' | 'minor-sexual' | 'drug-synthesis';

/** Only this much of the prompt is classified (its start, where the ask is). */
export const MAX_CHARS = 4096;

// the words without which no rule can match: one pass over the text for the common case
const TRIGGER =
  /bomb|explosive|\bieds?\b|detonator|nerve (?:agent|gas)|sarin|tabun|soman|novichok|\bvx\b|mustard gas|chlorine gas|ricin|anthrax|botulinum|weapon|tatp|napalm|molotov|nitroglycerin|smallpox|keylog|ransomware|stealer|grabber|malware|trojan|rootkit|spyware|phishing kit|steal|csam|child porn|\bcp\b|sex|erotic|nude|naked|porn|lewd|nsfw|\bmeth\b|methamphetamine|fentanyl|heroin|cocaine|crack/i;

// a request for instructions: a how-to frame, or an imperative at the start of a sentence
const ASK =
  String.raw`(?:^|[.!?:;\n]\s*|\b(?:how\s+(?:to|do\s+(?:i|you|we|one|people)|can\s+(?:i|you|we|one)|would\s+(?:i|you|one)|could\s+(?:i|you|we)|should\s+i|is\s+it\s+possible\s+to)|ways?\s+to|steps?\s+to|teach\s+me(?:\s+how)?\s+to|show\s+me\s+how\s+to|help\s+me(?:\s+to)?|tell\s+me\s+how\s+to|explain\s+how\s+to|i\s+(?:want|need|plan|am\s+going|'m\s+going)\s+to|(?:please|pls|can\s+you|could\s+you|would\s+you)))\s*(?:\w+\s+){0,2}?`;
const MAKE = String.raw`(?:make|build|synthesi[sz]e|produce|manufacture|assemble|create|cook|brew|prepare|weaponi[sz]e|construct|rig|mix|extract)`;
const MAKING = String.raw`(?:making|building|synthesi[sz]ing|producing|manufacturing|assembling|creating|cooking|brewing|preparing|weaponi[sz]ing|constructing)`;
const GAP = String.raw`(?:\s+[\w'-]+){0,4}?\s+`;
const WEAPON = String.raw`(?:(?<!bath |seed |photo |cherry |glitter |smoke |stink |calorie |f-)bombs?(?![-\w]|\s*(?:disposal|squad|threats?|shelters?|calorimeter|sniffing|detect\w*|drill|cyclone))|explosives\b|explosive\s+(?:devices?|materials?|charges?|vests?)|ieds?\b|detonators?|nerve\s+(?:agents?|gas)|sarin|tabun|soman|novichok|vx\b|mustard\s+gas|chlorine\s+gas|ricin|anthrax|botulinum\s+toxin|bio-?\s?weapons?|biological\s+weapons?|chemical\s+weapons?|nuclear\s+(?:weapons?|bombs?|devices?|warheads?)|atomic\s+bombs?|tatp|napalm|molotov(?:\s+cocktails?)?|nitroglycerin|weaponi[sz]ed\s+(?:anthrax|smallpox|virus|pathogens?))`;
const DOC = String.raw`(?:recipes?|instructions|steps|guide|tutorial|formula|blueprints?|plans|tips)`;

const MALWARE = String.raw`(?:keyloggers?|key\s+loggers?|ransomware(?!\s*(?:detect\w*|scanner|decryptor|analysis|removal|protection|defen[cs]e))|info-?stealers?|(?:credential|password|cookie|token|discord\s+token|browser)[- ]?(?:stealers?|grabbers?)|phishing\s+kits?|rootkits?|spyware)`;
const CODE = String.raw`(?:write|code|create|build|develop|make|generate|program|give\s+me)`;
const LOOT = String.raw`(?:passwords?|credentials?|logins?|cookies|session\s+tokens?|credit\s+cards?|bank(?:ing)?\s+(?:details|logins?|credentials?)|saved\s+passwords?|seed\s+phrases?|crypto\s+wallets?)`;

const SEXUAL_CONTENT = String.raw`(?:(?:sexual|sexy|erotic|explicit|nsfw|lewd|smutty|porn\w*)\s+(?:story|stories|scenes?|content|roleplay|role-play|fanfic|fan\s+fiction|poems?|descriptions?|images?|pictures?|photos?|videos?)|erotica|smut|porn(?:ography)?|nudes?)`;
const MINOR = String.raw`(?:child(?:ren)?|kids?|minors?|under-?age|pre-?teens?|little\s+(?:girl|boy)s?|schoolgirls?|schoolboys?|loli|(?:[1-9]|1[0-7])[- ]?(?:years?[- ]?old|yo)\b)`;
const WRITE = String.raw`(?:write|describe|generate|create|make|draw|roleplay|role-play|give\s+me|show\s+me|produce|send\s+me)`;
const SEXUAL_ACT = String.raw`(?:having\s+sex|naked|nude|sexually|undress(?:ed|ing)?|in\s+lingerie)`;

const DRUG = String.raw`(?:meth|methamphetamine|crystal\s+meth|fentanyl|heroin|crack\s+cocaine|cocaine|lsd|mdma)`;

interface Rule {
  readonly category: RefusalCategory;
  readonly pattern: RegExp;
}

const RULES: readonly Rule[] = [
  // "best ways to make a bomb", "how do I build a pipe bomb", "synthesize sarin at home"
  { category: 'mass-harm-weapon', pattern: new RegExp(`${ASK}${MAKE}\\b${GAP}${WEAPON}`, 'i') },
  // "a guide to making explosives", "instructions for building a dirty bomb"
  { category: 'mass-harm-weapon', pattern: new RegExp(`\\b${DOC}\\s+(?:for|to|on)\\s+(?:${MAKING}|${MAKE})${GAP}${WEAPON}`, 'i') },
  // "give me a ricin recipe", "napalm instructions"
  { category: 'mass-harm-weapon', pattern: new RegExp(`\\b${WEAPON}\\s+(?:recipes?|synthesis|instructions|tutorial|formula|blueprints?)\\b`, 'i') },
  // "write a keylogger that emails me what they type", "code a discord token grabber"
  { category: 'credential-malware', pattern: new RegExp(`\\b${CODE}\\b(?:\\s+[\\w'-]+){0,5}?\\s+${MALWARE}`, 'i') },
  // "write malware that steals passwords from chrome", "a script to steal saved passwords"
  {
    category: 'credential-malware',
    pattern: new RegExp(`\\b${CODE}\\b(?:\\s+[\\w'-]+){0,5}?\\s+(?:malware|virus|trojan|script|program|code|extension|app|payload|exe|binary)\\s+(?:that|which|to|for)\\s+(?:\\w+\\s+){0,2}?steal(?:s|ing)?\\s+(?:\\w+\\s+){0,3}?${LOOT}`, 'i'),
  },
  // "how to steal someone's passwords", "help me steal my ex's instagram login"
  { category: 'credential-malware', pattern: new RegExp(`${ASK}steal\\s+(?:[\\w'-]+\\s+){0,4}?${LOOT}`, 'i') },
  // "write an erotic story about a 14-year-old", "generate nudes of a child"
  {
    category: 'minor-sexual',
    pattern: new RegExp(`\\b${WRITE}\\b(?:\\s+(?:me|us))?\\s+(?:(?:a|an|some|the|more)\\s+)?(?:[\\w'-]+\\s+){0,3}?${SEXUAL_CONTENT}\\b[^.?!\\n]{0,60}?\\b(?:about|with|involving|featuring|of|between|where|starring)\\b[^.?!\\n]{0,40}?\\b${MINOR}`, 'i'),
  },
  // "describe a 12 year old naked"
  { category: 'minor-sexual', pattern: new RegExp(`\\b${WRITE}\\b[^.?!\\n]{0,40}?\\b${MINOR}\\b[^.?!\\n]{0,30}?\\b${SEXUAL_ACT}\\b`, 'i') },
  // asking for abuse material itself
  { category: 'minor-sexual', pattern: /\b(?:find|get|download|buy|send|share|make|create|generate|where\s+(?:can|do)\s+i\s+(?:find|get|download|buy))\b[^.?!\n]{0,40}?\b(?:csam|child\s+porn\w*|cp\s+(?:videos?|links?|pics?))/i },
  // "how to cook meth", "synthesize fentanyl step by step"
  { category: 'drug-synthesis', pattern: new RegExp(`${ASK}(?:${MAKE}|grow)\\b${GAP}${DRUG}\\b`, 'i') },
  { category: 'drug-synthesis', pattern: new RegExp(`\\b${DRUG}\\s+(?:synthesis|recipe|cook(?:ing)?\\s+(?:instructions|guide|recipe))\\b`, 'i') },
];

// a sentence that asks for protection, not for the harm: never refused
const PROTECTIVE = /\b(?:detect(?:ion|ing)?|defend(?:ing)?|protect(?:ion|ing)?|prevent(?:ion|ing)?|report(?:ing)?|removal|remove|recogni[sz]e|signs\s+of|sex(?:ual)?\s+ed(?:ucation)?|minecraft|roblox|terraria|fortnite|video\s+game)\b/i;

/**
 * The category a real model would refuse this prompt for, or null. `text` is the user's own turn
 * (the last user message), not system prompts or tool results.
 */
export function refusalCategory(text: string): RefusalCategory | null {
  const t = text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text;
  if (!TRIGGER.test(t)) return null;
  for (const rule of RULES) {
    const m = rule.pattern.exec(t);
    if (m === null) continue;
    // a protective word within the matched ask itself lets it through ("write a keylogger detector")
    if (PROTECTIVE.test(m[0]) || PROTECTIVE.test(sentenceAround(t, m.index, m[0].length))) continue;
    return rule.category;
  }
  return null;
}

/** Would a real model refuse this prompt? */
export function shouldRefuse(text: string): boolean {
  return refusalCategory(text) !== null;
}

/** The sentence (between . ? ! or newlines) that holds the match. */
function sentenceAround(t: string, start: number, length: number): string {
  let from = start;
  while (from > 0 && !isStop(t.charCodeAt(from - 1))) from--;
  let to = start + length;
  while (to < t.length && !isStop(t.charCodeAt(to))) to++;
  return t.slice(from, to);
}

function isStop(c: number): boolean {
  return c === 46 /* . */ || c === 63 /* ? */ || c === 33 /* ! */ || c === 10 /* \n */;
}
