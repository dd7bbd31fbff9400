/**
 * Does a response have the shape a real service gives for this flow? Status, Content-Type, body
 * format (JSON, SSE per the WHATWG event-stream rules, AWS event stream with CRCs), required JSON
 * paths, event order, stream terminator; and the answer text, pulled out of whichever format.
 * A response that fails here is reported `altered`.
 */
import type { Flow } from './flows.js';
import { decodeEventStream, EventStreamError } from './eventstream.js';
import { getPath } from './json.js';
import { decodedBody, headerValue, type ParsedResponse } from './response.js';

export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/** Parse an SSE body (text/event-stream): events dispatched on blank lines; comments skipped. */
function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  let event = '';
  let data: string[] = [];
  let hasData = false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (hasData) events.push({ event: event === '' ? 'message' : event, data: data.join('\n') });
      event = '';
      data = [];
      hasData = false;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      data.push(value);
      hasData = true;
    } else if (field === 'event') event = value;
  }
  return events;
}

export interface ShapeResult {
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** the answer text, when the flow says where it is */
  readonly text?: string;
  /** event types seen (SSE event names or :event-type), for reports */
  readonly events?: readonly string[];
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** `wanted` appears in `seen` in order (other events may come between). */
function inOrder(seen: readonly string[], wanted: readonly string[]): string | undefined {
  let at = 0;
  for (const w of wanted) {
    const found = seen.indexOf(w, at);
    if (found < 0) return w;
    at = found + 1;
  }
  return undefined;
}

/** Check a response against the flow's `expect`. Never throws. */
export function checkShape(flow: Flow, res: ParsedResponse): ShapeResult {
  const exp = flow.expect;
  const problems: string[] = [];
  if (res.status !== exp.status) problems.push(`status ${res.status}, expected ${exp.status}`);
  const ctype = headerValue(res.headers, 'content-type') ?? '';
  if (exp.content_type !== undefined && !ctype.toLowerCase().startsWith(exp.content_type.toLowerCase())) {
    problems.push(`content-type ${JSON.stringify(ctype)}, expected ${exp.content_type}`);
  }
  if (problems.length > 0) return { ok: false, problems };
  let body: Buffer;
  try {
    body = decodedBody(res);
  } catch (e: unknown) {
    return { ok: false, problems: [`body not decodable: ${e instanceof Error ? e.message : 'error'}`] };
  }
  const textParts: string[] = [];
  let events: string[] | undefined;
  const takeText = (doc: unknown): void => {
    if (!exp.text) return;
    let source = doc;
    if (exp.text.chunk_bytes) {
      const b64 = getPath(doc, 'bytes');
      if (typeof b64 !== 'string') return;
      const inner = parseJson(Buffer.from(b64, 'base64').toString('utf8'));
      if (!inner.ok) {
        problems.push('chunk bytes are not base64 JSON');
        return;
      }
      source = inner.value;
    }
    const t = getPath(source, exp.text.path);
    if (typeof t === 'string') textParts.push(t);
  };

  switch (exp.format) {
    case 'any':
      break;
    case 'json': {
      const parsed = parseJson(body.toString('utf8'));
      if (!parsed.ok) {
        problems.push('body is not JSON');
        break;
      }
      for (const path of exp.require) if (getPath(parsed.value, path) === undefined) problems.push(`missing ${path}`);
      takeText(parsed.value);
      break;
    }
    case 'sse': {
      const list = parseSse(body.toString('utf8'));
      events = list.map((e) => e.event);
      if (list.length === 0) {
        problems.push('no SSE events');
        break;
      }
      const last = list[list.length - 1];
      if (exp.done !== undefined && last?.data !== exp.done) problems.push(`stream does not end with data: ${exp.done}`);
      for (const [i, e] of list.entries()) {
        if (exp.done !== undefined && e.data === exp.done && i === list.length - 1) continue;
        const parsed = parseJson(e.data);
        if (!parsed.ok) {
          problems.push(`SSE event ${i} data is not JSON`);
          break;
        }
        if (exp.text && (exp.text.event === undefined || exp.text.event === e.event)) takeText(parsed.value);
      }
      break;
    }
    case 'eventstream': {
      let frames;
      try {
        frames = decodeEventStream(body);
      } catch (e: unknown) {
        problems.push(e instanceof EventStreamError ? e.message : 'event stream not decodable');
        break;
      }
      events = frames.map((f) => f.headers[':event-type'] ?? f.headers[':exception-type'] ?? '?');
      if (frames.length === 0) problems.push('no event-stream frames');
      for (const f of frames) {
        const type = f.headers[':message-type'];
        if (type !== 'event') {
          problems.push(`stream ${type ?? 'frame'}: ${f.headers[':exception-type'] ?? f.headers[':error-code'] ?? 'unknown'}`);
          break;
        }
        const parsed = parseJson(f.payload.toString('utf8'));
        if (!parsed.ok) {
          problems.push(`event ${f.headers[':event-type'] ?? '?'} payload is not JSON`);
          break;
        }
        if (exp.text && (exp.text.event === undefined || exp.text.event === f.headers[':event-type'])) takeText(parsed.value);
      }
      break;
    }
    default: {
      const never: never = exp.format;
      return never;
    }
  }
  if (events) {
    const missing = inOrder(events, exp.events);
    if (missing !== undefined) problems.push(`event ${missing} missing or out of order`);
    if (exp.last_event !== undefined && events[events.length - 1] !== exp.last_event) {
      problems.push(`last event is ${events[events.length - 1] ?? 'none'}, expected ${exp.last_event}`);
    }
  }
  const text = exp.text ? textParts.join('') : undefined;
  if (exp.text && problems.length === 0 && text === '') problems.push(`no answer text at ${exp.text.path}`);
  return { ok: problems.length === 0, problems, ...(text !== undefined ? { text } : {}), ...(events ? { events } : {}) };
}
