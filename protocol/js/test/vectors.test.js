// The shared message vectors (protocol/vectors/messages.json): the client reads every frame an
// agent may send exactly as the Python core does, and writes the requests the agent accepts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { BitaqaClient, candidateEndpoints } from '../src/index.js';
import { MalformedFrameError, parseAgentFrame } from '../src/messages.js';

const { vectors } = JSON.parse(readFileSync(new URL('../../vectors/messages.json', import.meta.url), 'utf8'));

/** @param {{frame?: string, frameBase64?: string, build?: {prefix: string, repeat: string, times: number, suffix: string}}} vector */
function frameText(vector) {
  if (vector.frame !== undefined) return vector.frame;
  if (vector.frameBase64 !== undefined) return Buffer.from(vector.frameBase64, 'base64').toString('utf8');
  const { prefix, repeat, times, suffix } = vector.build;
  return prefix + repeat.repeat(times) + suffix;
}

const toClient = vectors.filter((vector) => vector.direction === 'toClient');

test('the vectors include frames for the client in both verdicts', () => {
  assert.ok(toClient.some((v) => v.verdict === 'ok') && toClient.some((v) => v.verdict === 'error'));
});

for (const vector of toClient) {
  test(`toClient vector: ${vector.name}`, () => {
    if (vector.verdict === 'error') {
      assert.throws(() => parseAgentFrame(frameText(vector)), (error) => {
        assert.ok(error instanceof MalformedFrameError);
        assert.equal(error.code, vector.reason);
        return true;
      });
      return;
    }
    const message = parseAgentFrame(frameText(vector));
    const expected = vector.parsed;
    assert.equal(message.kind, expected.kind);
    if (message.kind === 'notification') {
      assert.deepEqual([message.method, message.params], [expected.method, expected.params]);
    } else if (message.kind === 'response') {
      assert.deepEqual([message.id, message.result], [expected.id, expected.result]);
    } else {
      assert.equal(message.id, expected.id);
      assert.equal(message.error.code, expected.code);
      assert.deepEqual({ ...message.error.data }, expected.data);
    }
  });
}

/** The client call that should produce each toAgent method's params, or null if it has none. */
const CALLS = {
  status: (client) => client.status(),
  listReaders: (client) => client.listReaders(),
  authenticate: (client, { challengeNonce, ...options }) => client.authenticate(challengeNonce, options),
  getSigningCertificate: (client, options) => client.getSigningCertificate(options),
  sign: (client, { signedRequest, ...options }) => client.sign(signedRequest, options),
  readIdentity: (client, { signedRequest, ...options }) => client.readIdentity(signedRequest, options),
};

const requests = vectors.filter((v) => v.direction === 'toAgent' && v.verdict === 'ok' && v.parsed.method in CALLS);

test('there are request vectors for every client method', () => {
  assert.deepEqual([...new Set(requests.map((v) => v.parsed.method))].sort(), Object.keys(CALLS).sort());
});

for (const vector of requests) {
  test(`the client sends the params of toAgent vector: ${vector.name}`, async () => {
    const sent = [];
    class RecordingSocket extends EventTarget {
      constructor() {
        super();
        this.protocol = 'bitaqa.v1';
        queueMicrotask(() => this.dispatchEvent(new MessageEvent('message', { data: '{"jsonrpc":"2.0","method":"hello","params":{}}' })));
      }
      send(data) {
        const request = JSON.parse(data);
        sent.push(request);
        queueMicrotask(() => this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify({ jsonrpc: '2.0', id: request.id, result: {} }) })));
      }
      close() {}
    }
    const [endpoint] = candidateEndpoints();
    const fetch = async () => ({ ok: true, json: async () => ({ agent: 'bitaqa', version: '0.1.0', protocols: ['bitaqa.v1'] }) });
    const client = new BitaqaClient({ fetch, WebSocket: RecordingSocket, endpoints: [endpoint] });
    await CALLS[vector.parsed.method](client, structuredClone(vector.parsed.params));
    assert.equal(sent.length, 1);
    assert.equal(sent[0].method, vector.parsed.method);
    assert.deepEqual(sent[0].params, vector.parsed.params);
  });
}
