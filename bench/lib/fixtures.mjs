// Fixed request and response bodies shared by the fake upstream, the load generators and the checks.
export const CHAT_REQUEST = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Summarise the benefits of connection pooling in two sentences.' },
  ],
  max_tokens: 64,
});

export const STREAM_REQUEST = JSON.stringify({
  model: 'gpt-4o-mini',
  stream: true,
  messages: [{ role: 'user', content: 'Count to twenty.' }],
});

export const CHAT_BODY = `${JSON.stringify(
  {
    id: 'chatcmpl-BenchBenchBenchBenchBenchBench',
    object: 'chat.completion',
    created: 1735689600,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content:
            'Connection pooling reuses established connections instead of opening a new one for every request, which removes handshake latency. It also bounds the number of concurrent connections, protecting the upstream from overload.',
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 31, completion_tokens: 38, total_tokens: 69 },
    service_tier: 'default',
    system_fingerprint: 'fp_bench',
  },
  null,
  2,
)}\n`;

const WORDS = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty'.split(' ');
function chunk(delta, finish) {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-BenchStream',
    object: 'chat.completion.chunk',
    created: 1735689600,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: 'fp_bench',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  })}\n\n`;
}
export const SSE_EVENTS = [
  chunk({ role: 'assistant', content: '', refusal: null }, null),
  ...WORDS.map((w, i) => chunk({ content: i === 0 ? w : ` ${w}` }, null)),
  chunk({}, 'stop'),
  'data: [DONE]\n\n',
];

export const KEYS = {
  valid: 'sk-proj-benchValidKey000000000000000000000000000000000000000000000000000000',
  lure: 'sk-proj-benchLureKey0000000000000000000000000000000000000000000000000000000',
  invalid: 'sk-proj-benchInvalidKey00000000000000000000000000000000000000000000000000',
};
