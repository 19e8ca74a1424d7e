import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  AgentUnavailableError, AgentVersionError, BitaqaClient, InvalidParamsError, OriginNotAllowedError, candidateEndpoints,
} from '../src/index.js';

const AGENT = { agent: 'bitaqa', version: '0.1.0', protocols: ['bitaqa.v1'] };
const NONCE = 'A'.repeat(43) + '=';

/** A fetch where only `agentUrl` answers; returns the list of URLs asked. */
function fetchOnly(agentUrl, body = AGENT) {
  const asked = [];
  const impl = async (url, init) => {
    asked.push(url);
    if (url !== agentUrl) throw new TypeError('Failed to fetch');
    if (init.mode !== 'cors') return { ok: false };
    return { ok: true, json: async () => body };
  };
  return { impl, asked };
}

/** A WebSocket class that opens with `protocol`, greets, and answers every request via `answer`. */
function fakeWebSocketClass({ protocol = 'bitaqa.v1', answer = () => ({ ok: true }), origin = undefined } = {}) {
  const opened = [];
  class FakeWebSocket extends EventTarget {
    constructor(url, protocols) {
      super();
      this.url = url;
      this.protocols = protocols;
      this.protocol = protocol;
      this.sent = [];
      opened.push(this);
      queueMicrotask(() => {
        this.dispatchEvent(new Event('open'));
        this.receive({ jsonrpc: '2.0', method: 'hello', params: { agent: 'bitaqa', agentVersion: '0.1.0', protocol: 'bitaqa.v1', origin } });
      });
    }
    receive(message) { this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(message) })); }
    send(data) {
      const request = JSON.parse(data);
      this.sent.push(request);
      if ('id' in request) queueMicrotask(() => this.receive({ jsonrpc: '2.0', id: request.id, result: answer(request) }));
    }
    close() { this.dispatchEvent(new Event('close')); }
  }
  return { FakeWebSocket, opened };
}

test('the client opens the socket on the first endpoint whose discovery answers, with the subprotocol', async () => {
  const plain = candidateEndpoints().find((e) => e.scheme === 'ws');
  const fetch = fetchOnly(plain.discoveryUrl);
  const { FakeWebSocket, opened } = fakeWebSocketClass({ answer: () => ({ agentVersion: '0.1.0', protocolVersion: '1.0', pcscAvailable: true }) });
  const client = new BitaqaClient({ fetch: fetch.impl, WebSocket: FakeWebSocket });
  const status = await client.status();
  assert.deepEqual(status, { agentVersion: '0.1.0', protocolVersion: '1.0', pcscAvailable: true, clientVersion: '0.1.0' });
  const tried = candidateEndpoints().slice(0, 7).map((e) => e.discoveryUrl);
  assert.deepEqual([...new Set(fetch.asked)], tried, 'all wss endpoints, then the first ws one');
  assert.deepEqual(opened.map((s) => [s.url, s.protocols]), [[plain.socketUrl, ['bitaqa.v1']]]);
  await client.status();
  assert.equal(opened.length, 1, 'the connection is reused');
});

test('lang and the signed request are sent as params; bad arguments fail before any network use', async () => {
  const [first] = candidateEndpoints();
  const fetch = fetchOnly(first.discoveryUrl);
  const { FakeWebSocket, opened } = fakeWebSocketClass({ answer: (request) => request.params });
  const client = new BitaqaClient({ fetch: fetch.impl, WebSocket: FakeWebSocket, lang: 'ar' });
  assert.deepEqual(await client.sign('a.b.c'), { signedRequest: 'a.b.c', lang: 'ar' });
  assert.deepEqual(await client.authenticate(NONCE, { lang: 'en', reader: 'R' }), { challengeNonce: NONCE, reader: 'R', lang: 'en' });
  const sent = opened[0].sent.length;
  await assert.rejects(client.authenticate('short'), InvalidParamsError);
  await assert.rejects(client.sign('not a jws'), InvalidParamsError);
  await assert.rejects(client.readIdentity('a.b.c', { lang: 'arabic' }), InvalidParamsError);
  await assert.rejects(client.getSigningCertificate({ userInteractionTimeout: 10 }), InvalidParamsError);
  assert.equal(opened[0].sent.length, sent);
});

test('card notifications become events', async () => {
  const [first] = candidateEndpoints();
  const { FakeWebSocket, opened } = fakeWebSocketClass();
  const client = new BitaqaClient({ fetch: fetchOnly(first.discoveryUrl).impl, WebSocket: FakeWebSocket });
  const seen = [];
  const stop = client.on('cardInserted', (detail) => seen.push(detail));
  await client.connect();
  opened[0].receive({ jsonrpc: '2.0', method: 'cardInserted', params: { reader: 'Virtual PCD 00 00' } });
  stop();
  opened[0].receive({ jsonrpc: '2.0', method: 'cardInserted', params: { reader: 'again' } });
  assert.deepEqual(seen, [{ reader: 'Virtual PCD 00 00' }]);
});

test('no agent anywhere is AgentUnavailableError, and the next call tries again', async () => {
  const fetch = fetchOnly('nowhere');
  const { FakeWebSocket, opened } = fakeWebSocketClass();
  const client = new BitaqaClient({ fetch: fetch.impl, WebSocket: FakeWebSocket });
  await assert.rejects(client.status(), AgentUnavailableError);
  assert.equal(opened.length, 0);
  const before = fetch.asked.length;
  await assert.rejects(client.status(), AgentUnavailableError);
  assert.ok(fetch.asked.length > before);
});

test('an agent without bitaqa.v1 in discovery or in the handshake is AgentVersionError', async () => {
  const [first] = candidateEndpoints();
  const old = fetchOnly(first.discoveryUrl, { ...AGENT, protocols: ['bitaqa.v0'] });
  await assert.rejects(new BitaqaClient({ fetch: old.impl, WebSocket: fakeWebSocketClass().FakeWebSocket }).status(), AgentVersionError);
  const { FakeWebSocket } = fakeWebSocketClass({ protocol: '' });
  await assert.rejects(new BitaqaClient({ fetch: fetchOnly(first.discoveryUrl).impl, WebSocket: FakeWebSocket }).status(), AgentVersionError);
});

test('an agent that refuses the origin its CORS headers is OriginNotAllowedError', async () => {
  const fetch = async (_url, init) => {
    if (init.mode === 'cors') throw new TypeError('Failed to fetch');
    return { ok: false, type: 'opaque' };
  };
  await assert.rejects(new BitaqaClient({ fetch }).status(), OriginNotAllowedError);
});

test('a hello naming another origin than the page is refused (SPEC §3.6)', async () => {
  const [first] = candidateEndpoints();
  globalThis.location = { origin: 'https://portal.example' };
  try {
    const other = fakeWebSocketClass({ origin: 'https://evil.example' });
    await assert.rejects(new BitaqaClient({ fetch: fetchOnly(first.discoveryUrl).impl, WebSocket: other.FakeWebSocket }).status(), OriginNotAllowedError);
    const same = fakeWebSocketClass({ origin: 'https://portal.example', answer: () => ({ agentVersion: '0.1.0' }) });
    const status = await new BitaqaClient({ fetch: fetchOnly(first.discoveryUrl).impl, WebSocket: same.FakeWebSocket }).status();
    assert.equal(status.agentVersion, '0.1.0');
  } finally {
    delete globalThis.location;
  }
});
