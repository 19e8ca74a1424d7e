import assert from 'node:assert/strict';
import { test } from 'node:test';

import { classifyFailure, loopbackPermissionState, parseAgentInfo, probe, requireCompatible } from '../src/discovery.js';
import { AgentUnavailableError, AgentVersionError, LocalNetworkAccessDeniedError, OriginNotAllowedError } from '../src/errors.js';

const URL_ = 'http://127.0.0.1:27370/.well-known/bitaqa';
const AGENT = { agent: 'bitaqa', version: '0.1.0', protocols: ['bitaqa.v1'] };

/**
 * A fetch whose behaviour depends on the request mode, recording every call.
 * @param {{cors: () => Promise<unknown>, noCors?: () => Promise<unknown>}} modes
 */
function fakeFetch(modes) {
  const calls = [];
  const impl = async (url, init) => {
    calls.push({ url, mode: init.mode, credentials: init.credentials });
    return init.mode === 'cors' ? modes.cors() : (modes.noCors ?? modes.cors)();
  };
  return { impl, calls };
}

const refused = () => Promise.reject(new TypeError('Failed to fetch'));

test('a CORS answer naming the bitaqa agent is an agent', async () => {
  const fetch = fakeFetch({ cors: async () => ({ ok: true, json: async () => AGENT }) });
  assert.deepEqual(await probe(URL_, fetch.impl), { kind: 'agent', info: AGENT });
  assert.deepEqual(fetch.calls, [{ url: URL_, mode: 'cors', credentials: 'omit' }]);
});

test('a failed CORS fetch whose no-cors twin succeeds means the origin was refused', async () => {
  const fetch = fakeFetch({ cors: refused, noCors: async () => ({ ok: false, type: 'opaque' }) });
  assert.deepEqual(await probe(URL_, fetch.impl), { kind: 'refused' });
  assert.deepEqual(fetch.calls.map((c) => c.mode), ['cors', 'no-cors']);
});

test('nothing listening is unreachable', async () => {
  const fetch = fakeFetch({ cors: refused });
  assert.deepEqual(await probe(URL_, fetch.impl), { kind: 'unreachable' });
});

test('another program answering on the port is not taken for the agent', async () => {
  for (const body of [{ agent: 'other', version: '1', protocols: [] }, [], null, { agent: 'bitaqa', version: 1, protocols: [] }, { agent: 'bitaqa', version: '1', protocols: [3] }]) {
    const fetch = fakeFetch({ cors: async () => ({ ok: true, json: async () => body }) });
    assert.deepEqual(await probe(URL_, fetch.impl), { kind: 'unreachable' }, JSON.stringify(body));
  }
  const notJson = fakeFetch({ cors: async () => ({ ok: true, json: async () => { throw new SyntaxError('x'); } }), noCors: refused });
  assert.deepEqual(await probe(URL_, notJson.impl), { kind: 'unreachable' });
});

test('parseAgentInfo keeps exactly the three documented fields', () => {
  assert.deepEqual(parseAgentInfo({ ...AGENT, extra: true }), AGENT);
});

test('an agent without this client\'s subprotocol is too old', () => {
  assert.throws(() => requireCompatible({ agent: 'bitaqa', version: '0.0.9', protocols: ['bitaqa.v0'] }), (error) => {
    assert.ok(error instanceof AgentVersionError);
    assert.deepEqual(error.data, { agentVersion: '0.0.9', protocols: ['bitaqa.v0'] });
    return true;
  });
  requireCompatible({ agent: 'bitaqa', version: '2.0.0', protocols: ['bitaqa.v2', 'bitaqa.v1'] });
});

test('the loopback permission is asked by its new name first, then the old one', async () => {
  const asked = [];
  const permissions = {
    query: async ({ name }) => {
      asked.push(name);
      if (name === 'loopback-network') throw new TypeError('unknown permission');
      return { state: 'denied' };
    },
  };
  assert.equal(await loopbackPermissionState(permissions), 'denied');
  assert.deepEqual(asked, ['loopback-network', 'local-network-access']);
  assert.equal(await loopbackPermissionState({ query: async () => { throw new TypeError('x'); } }), 'unknown');
  assert.equal(await loopbackPermissionState(undefined), 'unknown');
});

test('failures are classified as SPEC §3.6 orders: denied permission, refused origin, no agent', () => {
  const unreachable = { kind: 'unreachable' };
  assert.ok(classifyFailure([unreachable, { kind: 'refused' }], 'denied') instanceof LocalNetworkAccessDeniedError);
  assert.ok(classifyFailure([unreachable, { kind: 'refused' }], 'granted') instanceof OriginNotAllowedError);
  assert.ok(classifyFailure([unreachable], 'denied') instanceof LocalNetworkAccessDeniedError);
  for (const state of ['granted', 'prompt', 'unknown']) {
    assert.ok(classifyFailure([unreachable], state) instanceof AgentUnavailableError, state);
  }
});
