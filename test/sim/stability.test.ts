/**
 * Stability AI image generation on Bedrock (InvokeModel): the request bodies of the AWS model
 * parameter pages, laid out as boto3 users send them, answered by the emulator with the real
 * response shapes (seeds / finish_reasons / base64 images; SDXL's artifacts), two-arm faithful.
 */
import { describe, expect, it } from 'vitest';
import { sim } from './helpers.js';

describe('Stability AI image flows', () => {
  it('send the documented request bodies', async () => {
    const r = await sim(['run', '--dry-run', '--flow', 'bedrock-invoke-stability-image-ultra']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^POST \/model\/stability\.stable-image-ultra-v1%3A1\/invoke HTTP\/1\.1\r$/m);
    expect(r.stdout).toContain(
      '\r\n\r\n{"prompt": "A lighthouse on a cliff at dawn, watercolor.", "negative_prompt": "blurry", "mode": "text-to-image", "aspect_ratio": "1:1", "output_format": "png", "seed": 0}',
    );
    const sdxl = await sim(['run', '--dry-run', '--flow', 'bedrock-invoke-stability-sdxl', '--param', 'seed=42']);
    expect(sdxl.stdout).toContain('{"text_prompts": [{"text": "A lighthouse on a cliff at dawn, watercolor.", "weight": 1}], "cfg_scale": 7, "steps": 30, "seed": 42, "width": 1024, "height": 1024}');
  });

  it('are answered by the emulator with base64 PNG images, two-arm faithful', async () => {
    const r = await sim(['two-arm', '--flow', 'bedrock-invoke-stability-*', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { passed: boolean; results: Array<{ flow: string; faithful: boolean }> };
    expect(d.passed).toBe(true);
    expect(d.results.map((x) => x.flow).sort()).toEqual([
      'bedrock-invoke-stability-image-core',
      'bedrock-invoke-stability-image-ultra',
      'bedrock-invoke-stability-sd3-5-large',
      'bedrock-invoke-stability-sdxl',
    ]);
  });

  it('calls an answer without images altered', async () => {
    const { startRawServer } = await import('./helpers.js');
    const body = '{"finish_reasons":["Filter reason: prompt"]}';
    const server = await startRawServer(() => Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    try {
      const r = await sim(['run', '--target', server.url, '--flow', 'bedrock-invoke-stability-image-core', '--json']);
      const x = (JSON.parse(r.stdout) as { results: Array<{ outcome: string; reason: string }> }).results[0];
      expect(x?.outcome).toBe('altered');
      expect(x?.reason).toMatch(/missing seeds\.0/);
    } finally {
      await server.close();
    }
  });
});
