/**
 * Strict parsers written from the specs, for the tests only: RFC 5424 §6 ABNF (SYSLOG-MSG),
 * RFC 6587 §3.4.1 octet counting, and ArcSight CEF:0. They throw on anything the spec does not allow.
 */
export interface Syslog5424 {
  pri: number;
  facility: number;
  severity: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: { id: string; params: [string, string][] }[];
  msg: string | undefined;
}

const PRINTUSASCII = /^[!-~]+$/;
const SD_NAME = /^[!#-<>-\\^-~]{1,32}$/; // PRINTUSASCII except = SP ] "
const TIMESTAMP =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export function parse5424(input: Buffer | string): Syslog5424 {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); // throws on invalid UTF-8
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`RFC 5424: ${why} at ${i} in ${JSON.stringify(text.slice(0, 200))}`);
  };
  const token = (name: string, max: number): string => {
    const end = text.indexOf(' ', i);
    const value = end === -1 ? fail(`${name} not followed by SP`) : text.slice(i, end);
    if (value === '-') {
      i = end + 1;
      return value;
    }
    if (value.length < 1 || value.length > max || !PRINTUSASCII.test(value)) fail(`bad ${name} ${JSON.stringify(value)}`);
    i = end + 1;
    return value;
  };
  const priMatch = /^<(0|[1-9]\d{0,2})>([1-9]\d{0,2}) /.exec(text) ?? fail('bad PRI/VERSION');
  const pri = Number(priMatch[1]);
  if (pri > 191) fail('PRIVAL > 191');
  i = priMatch[0].length;
  const timestamp = token('TIMESTAMP', 64);
  if (timestamp !== '-' && !TIMESTAMP.test(timestamp)) fail(`bad TIMESTAMP ${timestamp}`);
  const hostname = token('HOSTNAME', 255);
  const appName = token('APP-NAME', 48);
  const procId = token('PROCID', 128);
  const msgId = token('MSGID', 32);
  const sd: Syslog5424['sd'] = [];
  if (text[i] === '-') {
    i++;
  } else {
    if (text[i] !== '[') fail('STRUCTURED-DATA must be - or start with [');
    while (text[i] === '[') {
      i++;
      let j = i;
      while (j < text.length && text[j] !== ' ' && text[j] !== ']') j++;
      const id = text.slice(i, j);
      if (!SD_NAME.test(id)) fail(`bad SD-ID ${JSON.stringify(id)}`);
      i = j;
      const params: [string, string][] = [];
      while (text[i] === ' ') {
        i++;
        const eq = text.indexOf('=', i);
        if (eq === -1) fail('SD-PARAM without =');
        const name = text.slice(i, eq);
        if (!SD_NAME.test(name)) fail(`bad PARAM-NAME ${JSON.stringify(name)}`);
        i = eq + 1;
        if (text[i] !== '"') fail('PARAM-VALUE must be quoted');
        i++;
        let value = '';
        for (;;) {
          const c = text[i];
          if (c === undefined) fail('unterminated PARAM-VALUE');
          if (c === '"') break;
          if (c === ']') fail('unescaped ] in PARAM-VALUE');
          if (c === '\\') {
            const next = text[i + 1];
            if (next === '"' || next === '\\' || next === ']') {
              value += next;
              i += 2;
              continue;
            }
            value += c; // §6.3.3: any other backslash is kept as it is
            i++;
            continue;
          }
          value += c;
          i++;
        }
        i++; // closing quote
        params.push([name, value]);
      }
      if (text[i] !== ']') fail('SD-ELEMENT not closed');
      i++;
      sd.push({ id, params });
    }
  }
  let msg: string | undefined;
  if (i < text.length) {
    if (text[i] !== ' ') fail('STRUCTURED-DATA not followed by SP');
    msg = text.slice(i + 1);
  }
  return { pri, facility: pri >> 3, severity: pri & 7, version: Number(priMatch[2]), timestamp, hostname, appName, procId, msgId, sd, msg };
}

/** RFC 6587 §3.4.1: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN = NONZERO-DIGIT *DIGIT. Returns whole frames and the rest. */
export function splitOctetCounted(buffer: Buffer, maxLength = 65_536): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let at = 0;
  for (let guard = 0; guard < 1_000_000 && at < buffer.length; guard++) {
    const space = buffer.indexOf(0x20, at);
    if (space === -1) {
      if (buffer.length - at > 8) throw new Error('MSG-LEN too long');
      break;
    }
    const digits = buffer.subarray(at, space).toString('latin1');
    if (!/^[1-9]\d{0,7}$/.test(digits)) throw new Error(`bad MSG-LEN ${JSON.stringify(digits)}`);
    const length = Number(digits);
    if (length > maxLength) throw new Error(`MSG-LEN ${length} over ${maxLength}`);
    if (space + 1 + length > buffer.length) break;
    frames.push(buffer.subarray(space + 1, space + 1 + length));
    at = space + 1 + length;
  }
  return { frames, rest: buffer.subarray(at) };
}

export interface Cef {
  version: number;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: number;
  extension: Record<string, string>;
}

export function parseCef(text: string): Cef {
  if (!text.startsWith('CEF:')) throw new Error('CEF: no CEF: prefix');
  const header: string[] = [];
  let i = 4;
  let field = '';
  while (header.length < 7) {
    const c = text[i];
    if (c === undefined) throw new Error('CEF: header has fewer than 8 fields');
    if (c === '\n' || c === '\r') throw new Error('CEF: line break in header');
    if (c === '\\') {
      const next = text[i + 1];
      if (next !== '\\' && next !== '|') throw new Error(`CEF: bad header escape \\${next ?? ''}`);
      field += next;
      i += 2;
      continue;
    }
    if (c === '|') {
      header.push(field);
      field = '';
      i++;
      continue;
    }
    field += c;
    i++;
  }
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = header as [string, string, string, string, string, string, string];
  if (version !== '0') throw new Error('CEF: version must be 0');
  if (!/^(10|\d)$/.test(severity)) throw new Error(`CEF: bad severity ${severity}`);
  const ext = text.slice(i);
  if (/[\r\n]/.test(ext)) throw new Error('CEF: raw line break in extension');
  // find unescaped '=' positions; each key is the run of [A-Za-z0-9_] right before it, after a space or the start
  const extension: Record<string, string> = {};
  const eqs: { keyStart: number; eq: number }[] = [];
  for (let j = 0; j < ext.length; j++) {
    if (ext[j] === '\\') {
      j++;
      continue;
    }
    if (ext[j] === '=') {
      let k = j;
      while (k > 0 && /[A-Za-z0-9_]/.test(ext[k - 1] ?? '')) k--;
      if (k === j || (k > 0 && ext[k - 1] !== ' ')) throw new Error(`CEF: unescaped = inside a value at ${j}`);
      eqs.push({ keyStart: k, eq: j });
    }
  }
  if (ext.length > 0 && eqs[0]?.keyStart !== 0) throw new Error('CEF: extension does not start with a key');
  for (const [n, { keyStart, eq }] of eqs.entries()) {
    const key = ext.slice(keyStart, eq);
    const end = eqs[n + 1] !== undefined ? (eqs[n + 1]?.keyStart ?? 0) - 1 : ext.length;
    const raw = ext.slice(eq + 1, end);
    let value = '';
    for (let j = 0; j < raw.length; j++) {
      const c = raw[j];
      if (c === '\\') {
        const next = raw[j + 1];
        if (next === '\\' || next === '=') value += next;
        else if (next === 'n') value += '\n';
        else if (next === 'r') value += '\r';
        else throw new Error(`CEF: bad extension escape \\${next ?? ''}`);
        j++;
        continue;
      }
      value += c;
    }
    if (key in extension) throw new Error(`CEF: duplicate key ${key}`);
    extension[key] = value;
  }
  return { version: 0, vendor, product, deviceVersion, signatureId, name, severity: Number(severity), extension };
}
