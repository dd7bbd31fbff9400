/**
 * Wire fidelity: for every capture of a real client (test/sim/fixtures/captures, recorded on a raw
 * TCP socket from python-requests, curl, openai-python 2.x/3.x, openai-node and boto3), the profile
 * and flow rebuild the request byte for byte — header names, order, casing, values, body layout,
 * and for boto3 the SigV4 signature — given the same variable values (host, date, invocation id).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/sim/flows.js';
import { buildRequest, encodeRequest } from '../../src/sim/request.js';

const DIR = new URL('./fixtures/captures/', import.meta.url);
const USER = 'Say h\u00e9llo \u2014 in one short sentence.';
const catalog = await loadCatalog();
const files = readdirSync(DIR).filter((f) => f.endsWith('.http')).sort();

function header(raw: string, name: string): string {
  const m = new RegExp(`^${name}: (.*)$`, 'mi').exec(raw);
  if (!m?.[1]) throw new Error(`${name} missing in capture`);
  return m[1].replace(/\r$/, '');
}

describe('profiles reproduce real clients byte for byte', () => {
  it('has captures of every client profile', () => {
    const profiles = new Set(files.map((f) => f.split('.')[0]?.replace(/-akia-.*$/, '')));
    const clients = [...catalog.profiles.values()].filter((p) => p.role === 'client').map((p) => p.name);
    for (const c of clients) expect(profiles.has(c), c).toBe(true);
  });

  for (const file of files) {
    it(file, async () => {
      const bytes = readFileSync(new URL(file, DIR));
      const raw = bytes.toString('latin1');
      const [profileName = '', flowName = ''] = file.replace(/\.http$/, '').split('.');
      const akia = profileName === 'boto3-akia-us-west-2';
      const profile = catalog.profiles.get(akia ? 'boto3' : profileName);
      const flow = catalog.flows.get(flowName);
      expect(profile, profileName).toBeDefined();
      expect(flow, flowName).toBeDefined();
      if (!profile || !flow) return;
      const host = header(raw, 'Host');
      const params: Record<string, string> = { user_prompt: USER };
      if (profile.name === 'boto3') {
        params['amz_date'] = header(raw, 'X-Amz-Date');
        params['invocation_id'] = header(raw, 'amz-sdk-invocation-id');
        params['user_agent'] = header(raw, 'User-Agent');
        params['max_tokens'] = '256';
      }
      if (flowName === 'bedrock-invoke-stream-meta-llama3') params['max_tokens'] = '256';
      if (akia) {
        Object.assign(params, { access_key_id: 'AKIAIOSFODNN7EXAMPLE', security_token: '', region: 'us-west-2', model_id: 'us.amazon.nova-lite-v1:0' });
      }
      const req = await buildRequest(profile, flow, { target: new URL(`http://${host}`), viaProxy: false, params });
      const built = encodeRequest(req);
      // compare as text first for a readable diff, then as bytes
      expect(built.toString('latin1')).toBe(raw);
      expect(built.equals(bytes)).toBe(true);
    });
  }
});
