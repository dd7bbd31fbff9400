import { describe, expect, it } from 'vitest';
import { askedCount, enumeration, MAX_CALLS, planToolCalls, singleItem, type ToolDef, type ToolPlanInput } from '../../src/deception/decoy/tool-calls.js';

const weather: ToolDef = {
  name: 'get_current_weather',
  description: 'Get the current weather',
  schema: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['location'] },
};
const time: ToolDef = { name: 'get_time', schema: { type: 'object', properties: { timezone: { type: 'string' } }, required: ['timezone'] } };
const pelican: ToolDef = { name: 'pelican_name_generator', description: '', schema: { type: 'object', properties: {} } };

function plan(text: string, over: Partial<ToolPlanInput> = {}): ReturnType<typeof planToolCalls> {
  return planToolCalls({ tools: [weather], text, choice: { mode: 'auto' }, parallel: true, turn: 'user', seed: 'seed', ...over });
}

describe('enumeration', () => {
  it.each([
    ["What's the weather like in San Francisco and Boston?", ['San Francisco', 'Boston']],
    ['weather in boston and tokyo today please', ['boston', 'tokyo']],
    ['Weather for Paris, Rome, and Oslo', ['Paris', 'Rome', 'Oslo']],
    ['Compare Paris and London', ['Paris', 'London']],
    ['Check:\n- Lisbon\n- Porto\n- Faro', ['Lisbon', 'Porto', 'Faro']],
    ['weather in Paris and in Rome', ['Paris', 'Rome']],
  ])('%s', (text, items) => {
    expect(enumeration(text)).toEqual(items);
  });

  it.each(['What is the weather in Boston?', 'Write a function in Python and test it', 'Tell me about the weather and then explain it', 'hello', ''])('no list in %j', (text) => {
    expect(enumeration(text)).toBeUndefined();
  });

  it('keeps at most MAX_CALLS items', () => {
    expect(enumeration('weather in A1, B2, C3, D4, E5, F6 and G7')?.length).toBe(MAX_CALLS);
  });
});

describe('planToolCalls', () => {
  it('one call per enumerated city, the city in the parameter it fills', () => {
    const calls = plan("What's the weather like in San Francisco and Boston?");
    expect(calls.map((c) => c.name)).toEqual(['get_current_weather', 'get_current_weather']);
    expect(calls.map((c) => c.input['location'])).toEqual(['San Francisco', 'Boston']);
    expect(['celsius', 'fahrenheit']).toContain(calls[0]?.input['unit']);
  });

  it('a single item, parallel off, a forced single tool: one call', () => {
    expect(plan('What is the weather in Boston?')).toHaveLength(1);
    expect(plan('Weather in Boston and Tokyo', { parallel: false })).toHaveLength(1);
    expect(plan('Weather in Boston and Tokyo', { parallel: false, choice: { mode: 'any' } })).toHaveLength(1);
  });

  it('none, an answered tool, a prefill: no call', () => {
    expect(plan('Weather in Boston and Tokyo', { choice: { mode: 'none' } })).toEqual([]);
    expect(plan('Weather in Boston and Tokyo', { turn: 'tool_result' })).toEqual([]);
    expect(plan('Weather in Boston and Tokyo', { turn: 'assistant' })).toEqual([]);
    expect(plan('x', { tools: [] })).toEqual([]);
  });

  it('after a result, the next tool not called yet, once', () => {
    const calls = plan('Weather and time in Boston and Tokyo', { tools: [weather, time], turn: 'tool_result', called: new Set(['get_current_weather']) });
    expect(calls.map((c) => c.name)).toEqual(['get_time']);
  });

  it('a string-array parameter takes every item in one call', () => {
    const multi: ToolDef = { name: 'weather_many', schema: { type: 'object', properties: { cities: { type: 'array', items: { type: 'string' } } }, required: ['cities'] } };
    const calls = plan('weather in Boston and Tokyo', { tools: [multi] });
    expect(calls).toEqual([{ name: 'weather_many', input: { cities: ['Boston', 'Tokyo'] } }]);
  });

  it('several tools whose purposes the prompt names', () => {
    const calls = plan("What's the weather and the time in Tokyo?", { tools: [weather, time] });
    expect(calls.map((c) => c.name)).toEqual(['get_current_weather', 'get_time']);
    // a purpose word shared by tools names none of them
    const files: ToolDef[] = ['read_file', 'write_file', 'list_files'].map((name) => ({ name, schema: { type: 'object', properties: { path: { type: 'string' } } } }));
    expect(plan('read the file config.yaml', { tools: files })).toHaveLength(1);
    // a forced tool stays the only one
    expect(plan("What's the weather and the time in Tokyo?", { tools: [weather, time], choice: { mode: 'tool', name: 'get_time' } }).map((c) => c.name)).toEqual(['get_time']);
  });

  it('a count with a tool without arguments: that many calls', () => {
    expect(askedCount('Two names for a pet pelican')).toBe(2);
    expect(askedCount('what is 2 plus 2')).toBe(1);
    expect(askedCount('weather for the next three days')).toBe(1);
    expect(plan('Two names for a pet pelican', { tools: [pelican] })).toEqual([
      { name: 'pelican_name_generator', input: {} },
      { name: 'pelican_name_generator', input: {} },
    ]);
    // a tool with arguments takes the count as an argument instead
    expect(plan('Two forecasts please')).toHaveLength(1);
  });
});

describe('the one item a prompt names', () => {
  it.each([
    ["What's the weather in Boston?", 'Boston'],
    ["What's the weather like in San Francisco today?", 'San Francisco'],
    ['weather in boston please', 'boston'],
    ['Tell me about the weather in Boston', 'Boston'],
    ["What's Boston's weather like?", 'Boston'],
    ["What's the weather for my trip to Paris?", 'Paris'],
    ['Weather in Boston in Celsius', 'Boston'],
    ['Is the weather in Boston or Tokyo nicer?', 'Boston'],
  ])('%j → %j', (text, item) => {
    expect(singleItem(text, weather, 'location')).toBe(item);
    expect(plan(text)).toHaveLength(1);
    expect(plan(text)[0]?.input['location']).toBe(item);
  });

  it.each(['Write a function in Python', "What's 2 plus 2", 'hello', '', 'weather in 3 days', 'Explain the weather in general', 'What is the weather where I am?', 'the weather in English please'])('nothing silly from %j', (text) => {
    expect(singleItem(text, weather, 'location')).toBeUndefined();
    // the filler's value stays (the seed, here)
    expect(plan(text, { choice: { mode: 'any' } })[0]?.input['location']).toBe('seed');
  });

  it('a word of the parameter name also names the tool', () => {
    const lookup: ToolDef = { name: 'lookup', schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
    expect(plan('Which city is the capital? Look up the city of Lyon', { tools: [lookup] })[0]?.input['city']).toBe('Lyon');
    expect(plan('Write a function in Python', { tools: [lookup] })[0]?.input['city']).toBe('seed');
  });

  it('an enum value the prompt names is taken', () => {
    expect(plan('Weather in Boston in Celsius')[0]?.input).toEqual({ location: 'Boston', unit: 'celsius' });
    expect(plan('weather in boston and tokyo in fahrenheit please').map((c) => c.input)).toEqual([
      { location: 'boston', unit: 'fahrenheit' },
      { location: 'tokyo', unit: 'fahrenheit' },
    ]);
    // an enum value inside a longer word is not named
    const mode: ToolDef = { name: 'set_mode', schema: { type: 'object', properties: { mode: { type: 'string', enum: ['on', 'off', 'auto'] } } } };
    expect(['on', 'off', 'auto']).toContain(plan('automatic please', { tools: [mode] })[0]?.input['mode']);
    expect(plan('switch it to auto', { tools: [mode] })[0]?.input['mode']).toBe('auto');
  });

  it('a string-array parameter takes the one item as a list', () => {
    const multi: ToolDef = { name: 'weather_many', schema: { type: 'object', properties: { cities: { type: 'array', items: { type: 'string' } } }, required: ['cities'] } };
    expect(plan('weather in Boston', { tools: [multi] })).toEqual([{ name: 'weather_many', input: { cities: ['Boston'] } }]);
  });

  it('parallel off or after a result: one call, the first item of a list', () => {
    expect(plan('Weather in Boston and Tokyo', { parallel: false })).toEqual([{ name: 'get_current_weather', input: expect.objectContaining({ location: 'Boston' }) as unknown }]);
  });

  it('several named tools each get the item', () => {
    const calls = plan("What's the weather and the time in Tokyo?", { tools: [weather, time] });
    expect(calls.map((c) => Object.values(c.input)[0])).toEqual(['Tokyo', 'Tokyo']);
  });
});

describe('"or" lists', () => {
  it('an alternative is one call, for the first', () => {
    expect(enumeration('Is it warmer in Boston or Tokyo today?')).toBeUndefined();
    expect(plan('weather in Boston or Tokyo').map((c) => c.input['location'])).toEqual(['Boston']);
  });

  it('a comparison needs both: parallel calls', () => {
    expect(enumeration('Which is warmer right now, Boston or Tokyo?')).toEqual(['Boston', 'Tokyo']);
    expect(plan('Compare the weather in Boston or Tokyo').map((c) => c.input['location'])).toEqual(['Boston', 'Tokyo']);
    expect(enumeration('Which is cheaper: flights to Paris or Rome?')).toEqual(['Paris', 'Rome']);
  });
});

describe('planToolCalls with hostile input stays bounded', () => {
  it('a huge prompt, 500 tools, odd schemas', () => {
    const tools: ToolDef[] = Array.from({ length: 500 }, (_, i) => ({
      name: i % 3 === 0 ? `tool_${'x'.repeat(5000)}_${i}` : `thing${i}Weather`,
      schema: i % 2 === 0 ? { $ref: '#/definitions/loop', definitions: { loop: { $ref: '#/definitions/loop' } } } : [1, 2, 3],
    }));
    const huge = `${'in and, '.repeat(200_000)} weather in ${'Boston and '.repeat(50_000)}Tokyo\n${'- item\n'.repeat(10_000)}`;
    const noList = `weather ${'in x '.repeat(100_000)}${'A '.repeat(100_000)}${' '.repeat(100_000)}Boston`;
    const t0 = performance.now();
    expect(singleItem(noList, weather, 'location')).toBeDefined();
    expect(singleItem(`weather ${' '.repeat(200_000)}`, weather, 'location')).toBeUndefined();
    expect(singleItem(`Weather ${'Xy '.repeat(100_000)}`, weather, 'location')).toBe('Xy Xy Xy Xy');
    expect(performance.now() - t0).toBeLessThan(100);
    const start = performance.now();
    const calls = planToolCalls({ tools, text: huge, choice: { mode: 'any' }, parallel: true, turn: 'user', seed: huge.slice(0, 100) });
    expect(performance.now() - start).toBeLessThan(500);
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.length).toBeLessThanOrEqual(MAX_CALLS);
    expect(JSON.stringify(calls).length).toBeLessThan(100_000);
  });

  it('many properties and a deep schema', () => {
    const props: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) props[`p${i}`] = { type: 'string' };
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 1000; i++) deep = { type: 'object', properties: { a: deep } };
    const calls = planToolCalls({
      tools: [{ name: 'wide', schema: { type: 'object', properties: props, required: Array.from({ length: 10_000 }, (_, i) => `p${i}`) } }, { name: 'deep', schema: deep }],
      text: 'look up Boston and Tokyo',
      choice: { mode: 'auto' },
      parallel: true,
      turn: 'user',
      seed: 's',
    });
    expect(calls.map((c) => c.name)).toEqual(['wide', 'wide']);
    expect(calls.map((c) => c.input['p0'])).toEqual(['Boston', 'Tokyo']);
  });
});
