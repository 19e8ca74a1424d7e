import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import * as client from '../src/index.js';

const table = JSON.parse(readFileSync(new URL('../../error-codes.json', import.meta.url), 'utf8')).codes;
const declarations = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8');

/** @param {string} name */
function className(name) {
  const pascal = name.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, letter) => letter.toUpperCase());
  return pascal.endsWith('Error') ? pascal : `${pascal}Error`;
}

test('the wire table matches protocol/error-codes.json row for row', () => {
  const expected = table.map(({ name, number, retriable }) => ({ code: name, number, retriable }));
  assert.deepEqual(client.wireErrorTable(), expected);
});

test('every error code has its own exported and declared class with the right fields', () => {
  for (const row of table) {
    const cls = client[className(row.name)];
    assert.equal(typeof cls, 'function', `${className(row.name)} is exported`);
    assert.match(declarations, new RegExp(`export class ${className(row.name)} extends WireError \\{\\}`));
    const error = new cls('m', { reason: row.name, triesLeft: 2 });
    assert.ok(error instanceof client.WireError && error instanceof client.BitaqaError && error instanceof Error);
    assert.equal(error.name, className(row.name));
    assert.equal(error.code, row.name);
    assert.equal(error.number, row.number);
    assert.equal(error.retriable, row.retriable);
    assert.deepEqual(error.data, { triesLeft: 2 });
  }
});

test('errorFromWire picks the class by JSON-RPC number and keeps data', () => {
  const error = client.errorFromWire({ code: 1201, message: 'PIN incorrect', data: { reason: 'PIN_INCORRECT', triesLeft: 1 } });
  assert.ok(error instanceof client.PinIncorrectError);
  assert.equal(error.message, 'PIN incorrect');
  assert.equal(error.data.triesLeft, 1);
});

test('errorFromWire turns unknown or malformed errors into InternalError', () => {
  for (const wire of [{ code: 4242 }, null, 'x', { code: '1001' }, {}]) {
    const error = client.errorFromWire(wire);
    assert.ok(error instanceof client.InternalError, JSON.stringify(wire));
    assert.equal(error.code, 'INTERNAL_ERROR');
  }
});

test('the abstract WireError cannot be thrown directly', () => {
  assert.throws(() => new client.WireError('x'), TypeError);
});

test('client-side errors have their own codes and classes', () => {
  const cases = [
    [client.AgentUnavailableError, 'AGENT_UNAVAILABLE'],
    [client.AgentVersionError, 'AGENT_VERSION_MISMATCH'],
    [client.LocalNetworkAccessDeniedError, 'LOCAL_NETWORK_ACCESS_DENIED'],
    [client.ConnectionLostError, 'CONNECTION_LOST'],
  ];
  for (const [cls, code] of cases) {
    const error = new cls('m');
    assert.equal(error.code, code);
    assert.ok(error instanceof client.BitaqaError && !(error instanceof client.WireError));
    assert.match(declarations, new RegExp(`export declare class ${cls.name} extends BitaqaError`));
  }
});
