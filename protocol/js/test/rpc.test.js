import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

import { ConnectionLostError, InternalError, NoCardError, RequestCancelledError, UserTimeoutError } from '../src/errors.js';
import { RpcConnection } from '../src/rpc.js';

/** A socket that records what was sent and lets the test deliver frames. */
function fakeSocket() {
  const listeners = new Map();
  return {
    sent: [],
    closedWith: null,
    send(data) { this.sent.push(JSON.parse(data)); },
    close(code) { this.closedWith = code; },
    addEventListener(type, listener) { listeners.set(type, [...(listeners.get(type) ?? []), listener]); },
    emit(type, event = {}) { for (const listener of listeners.get(type) ?? []) listener(event); },
    deliver(message) { this.emit('message', { data: JSON.stringify(message) }); },
  };
}

const OPTIONS = { deadlineMs: 1000, timeoutError: () => new UserTimeoutError('late') };

test('a call sends a JSON-RPC request and resolves with its result', async () => {
  const socket = fakeSocket();
  const rpc = new RpcConnection(socket);
  const answer = rpc.call('status', {}, OPTIONS);
  assert.deepEqual(socket.sent, [{ jsonrpc: '2.0', id: 1, method: 'status', params: {} }]);
  socket.deliver({ jsonrpc: '2.0', id: 1, result: { readers: [] } });
  assert.deepEqual(await answer, { readers: [] });
});

test('concurrent calls are matched to their answers by id', async () => {
  const socket = fakeSocket();
  const rpc = new RpcConnection(socket);
  const first = rpc.call('a', {}, OPTIONS);
  const second = rpc.call('b', {}, OPTIONS);
  socket.deliver({ jsonrpc: '2.0', id: 2, result: 'two' });
  socket.deliver({ jsonrpc: '2.0', id: 1, result: 'one' });
  assert.deepEqual(await Promise.all([first, second]), ['one', 'two']);
});

test('an error answer rejects with the class of its code', async () => {
  const socket = fakeSocket();
  const answer = new RpcConnection(socket).call('sign', {}, OPTIONS);
  socket.deliver({ jsonrpc: '2.0', id: 1, error: { code: 1103, message: 'No card', data: { reason: 'NO_CARD' } } });
  await assert.rejects(answer, NoCardError);
});

test('frames that answer no pending call are ignored', async () => {
  const socket = fakeSocket();
  const answer = new RpcConnection(socket).call('status', {}, OPTIONS);
  socket.emit('message', { data: 'not json' });
  socket.deliver([{ jsonrpc: '2.0', id: 1, result: 'batch' }]);
  socket.deliver({ jsonrpc: '2.0', id: 99, result: 'unknown id' });
  socket.deliver({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x', data: { reason: 'PARSE_ERROR' } } });
  socket.deliver({ jsonrpc: '2.0', id: 1, result: 'real' });
  assert.equal(await answer, 'real');
});

test('a malformed answer to a pending call fails it with InternalError', async () => {
  const socket = fakeSocket();
  const answer = new RpcConnection(socket).call('status', {}, OPTIONS);
  socket.deliver({ id: 1, result: 'no jsonrpc member' });
  await assert.rejects(answer, InternalError);
});

test('notifications go to the handler', () => {
  const socket = fakeSocket();
  const seen = [];
  new RpcConnection(socket, { onNotification: (method, params) => seen.push([method, params]) });
  socket.deliver({ jsonrpc: '2.0', method: 'cardInserted', params: { reader: 'R' } });
  assert.deepEqual(seen, [['cardInserted', { reader: 'R' }]]);
});

test('an expired deadline cancels the request at the agent and rejects with the timeout error', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const socket = fakeSocket();
    const answer = new RpcConnection(socket).call('authenticate', {}, OPTIONS);
    mock.timers.tick(999);
    assert.equal(socket.sent.length, 1);
    mock.timers.tick(1);
    await assert.rejects(answer, UserTimeoutError);
    assert.deepEqual(socket.sent[1], { jsonrpc: '2.0', id: 2, method: 'cancel', params: { id: 1 } });
    socket.deliver({ jsonrpc: '2.0', id: 2, result: { cancelled: true } });
    socket.deliver({ jsonrpc: '2.0', id: 1, result: 'too late' });
  } finally {
    mock.timers.reset();
  }
});

test('an answer before the deadline clears its timer', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const socket = fakeSocket();
    const answer = new RpcConnection(socket).call('status', {}, OPTIONS);
    socket.deliver({ jsonrpc: '2.0', id: 1, result: 'ok' });
    assert.equal(await answer, 'ok');
    mock.timers.tick(5000);
    assert.equal(socket.sent.length, 1);
  } finally {
    mock.timers.reset();
  }
});

test('aborting the signal cancels the call; an already aborted signal sends nothing', async () => {
  const socket = fakeSocket();
  const rpc = new RpcConnection(socket);
  const controller = new AbortController();
  const answer = rpc.call('sign', {}, { ...OPTIONS, signal: controller.signal });
  controller.abort();
  await assert.rejects(answer, RequestCancelledError);
  assert.equal(socket.sent.at(-1).method, 'cancel');
  const before = socket.sent.length;
  await assert.rejects(rpc.call('sign', {}, { ...OPTIONS, signal: AbortSignal.abort() }), RequestCancelledError);
  assert.equal(socket.sent.length, before);
});

test('cancelAll cancels every pending call', async () => {
  const socket = fakeSocket();
  const rpc = new RpcConnection(socket);
  const calls = [rpc.call('a', {}, OPTIONS), rpc.call('b', {}, OPTIONS)];
  rpc.cancelAll();
  for (const call of calls) await assert.rejects(call, RequestCancelledError);
  assert.deepEqual(socket.sent.slice(2).map((m) => m.params.id), [1, 2]);
});

test('a closed socket rejects pending and later calls with ConnectionLostError', async () => {
  const socket = fakeSocket();
  let closed = 0;
  const rpc = new RpcConnection(socket, { onClose: () => closed++ });
  const pending = rpc.call('authenticate', {}, OPTIONS);
  socket.emit('close');
  await assert.rejects(pending, ConnectionLostError);
  await assert.rejects(rpc.call('status', {}, OPTIONS), ConnectionLostError);
  assert.equal(closed, 1);
});
