#!/usr/bin/env node
// sse_parser.js — console/customer/sse.js under Node (a classic script run
// in a vm context): the SSE parser against the HTML standard's rules, fed
// at every split point, and the Feed's reconnection with Last-Event-ID, its
// states, a 401 and a refused Last-Event-ID, over a fake fetch.
// Prints one JSON line {"ok": true, "cases": N}; exits non-zero on failure.
'use strict';
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const SRC = path.join(__dirname, '..', '..', 'console', 'customer', 'sse.js');

function load(extra) {
  const ctx = vm.createContext(Object.assign({
    setTimeout, clearTimeout, TextDecoder, AbortController, console,
  }, extra || {}));
  ctx.self = ctx;
  vm.runInContext(fs.readFileSync(SRC, 'utf8'), ctx, { filename: SRC });
  return ctx.PorticoSSE;
}

let cases = 0;
function parse(SSE, chunks) {
  const got = [];
  const p = new SSE.Parser((e) => got.push({ id: e.id, type: e.type, data: e.data }));
  for (const c of chunks) p.feed(c);
  return { got, p };
}

function parserCases() {
  const SSE = load();
  const stream = ': keep-alive\n\nid: evt-1\nevent: AssetActive\ndata: {"Id":"evt-1"}\n\n' +
    'id: evt-2\r\nevent: AssetFailed\r\ndata: line one\r\ndata: line two\r\n\r\n' +
    'data:no space\rid:evt-3\r\r' +
    'event: Ignored\n\n' +                 // no data: nothing dispatched, type reset
    'data\nretry: 10\nunknown: x\n\n' +    // a field without a colon is an empty value
    'id: evt\u00004\ndata: keeps evt-3\n\n';
  const want = [
    { id: 'evt-1', type: 'AssetActive', data: '{"Id":"evt-1"}' },
    { id: 'evt-2', type: 'AssetFailed', data: 'line one\nline two' },
    { id: 'evt-3', type: 'message', data: 'no space' },
    { id: 'evt-3', type: 'message', data: '' },
    { id: 'evt-3', type: 'message', data: 'keeps evt-3' },
  ];
  const whole = parse(SSE, [stream]);
  assert.deepStrictEqual(whole.got, want);
  assert.strictEqual(whole.p.lastEventId, 'evt-3');
  cases++;
  // every split point, CRLF and CR included, gives the same records
  for (let i = 0; i <= stream.length; i++) {
    assert.deepStrictEqual(parse(SSE, [stream.slice(0, i), stream.slice(i)]).got, want, 'split at ' + i);
    cases++;
  }
  // byte by byte
  assert.deepStrictEqual(parse(SSE, stream.split('')).got, want);
  cases++;
  // an unterminated record is not dispatched
  assert.deepStrictEqual(parse(SSE, ['data: half']).got, []);
  cases++;
  // a line past 1 MiB is refused
  assert.throws(() => parse(SSE, ['data: ' + 'x'.repeat((1 << 20) + 10)]), /too long/);
  cases++;
}

// A fake fetch: each call takes the next planned answer.
function fakeFetch(plan, calls) {
  return async (url, init) => {
    calls.push({ url, headers: Object.assign({}, init.headers) });
    const next = plan.shift();
    if (!next) return new Promise(() => {}); // hangs: the test is over
    if (next.status !== 200) {
      return { status: next.status, headers: new Map([['Content-Type', 'application/json']]), body: null };
    }
    const enc = new TextEncoder();
    const chunks = next.chunks.slice();
    return {
      status: 200,
      headers: new Map([['Content-Type', 'text/event-stream']]),
      body: { getReader: () => ({ read: async () => chunks.length
        ? { done: false, value: enc.encode(chunks.shift()) } : { done: true } }) },
    };
  };
}

async function feedCases() {
  const calls = [];
  const plan = [
    { status: 200, chunks: ['id: evt-1\nevent: AssetActive\nda', 'ta: {}\n\n'] }, // then the server ends it
    { status: 503 },
    { status: 200, chunks: ['id: evt-2\nevent: VideoSucceeded\ndata: {}\n\n'] },
    { status: 400 },    // the Last-Event-ID refused
    { status: 401 },
  ];
  const events = [], states = [];
  let refused = 0, unauthorized = 0;
  const SSE = load({ fetch: fakeFetch(plan, calls) });
  await new Promise((resolve) => {
    const feed = new SSE.Feed({
      url: '/v1/portrait/events',
      headers: () => ({ Authorization: 'Bearer k' }),
      onEvent: (e) => events.push(e.type + ' ' + e.id),
      onState: (s) => states.push(s),
      onResumeRefused: () => refused++,
      onUnauthorized: () => { unauthorized++; resolve(); },
      retryBaseMs: 5,
    });
    feed.start();
  });
  assert.deepStrictEqual(events, ['AssetActive evt-1', 'VideoSucceeded evt-2']);
  assert.strictEqual(calls[0].headers['Last-Event-ID'], undefined);
  assert.strictEqual(calls[0].headers.Authorization, 'Bearer k');
  assert.strictEqual(calls[1].headers['Last-Event-ID'], 'evt-1');
  assert.strictEqual(calls[2].headers['Last-Event-ID'], 'evt-1');
  assert.strictEqual(calls[3].headers['Last-Event-ID'], 'evt-2');
  assert.strictEqual(calls[4].headers['Last-Event-ID'], undefined); // refused: from now on
  assert.strictEqual(refused, 1);
  assert.strictEqual(unauthorized, 1);
  assert.deepStrictEqual(states, ['connecting', 'live', 'down', 'connecting', 'down', 'connecting', 'live', 'down',
                                  'connecting', 'down', 'connecting', 'down']);
  assert.strictEqual(calls.length, 5); // stopped after the 401
  cases++;
}

(async () => {
  parserCases();
  await feedCases();
  process.stdout.write(JSON.stringify({ ok: true, cases }) + '\n');
})().catch((e) => {
  process.stderr.write('sse_parser.js: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
