/**
 * Reading one frame the agent sent (SPEC.md §5): an answer or a notification, checked as
 * strictly as the Python core's `parse_response`, so both sides agree on protocol/vectors.
 *
 * Not detectable after `JSON.parse`, and therefore not refused here: duplicate object keys and
 * `1.0` written for `1`.  Every other float is refused, as the codec refuses floats.
 * @module
 */

import { BitaqaError, errorFromWire } from './errors.js';

const MAX_ID_LENGTH = 64;
const REASON = /^[A-Z][A-Z0-9_]{0,63}$/;
/** Members of `error.data` besides `reason` that the client keeps, with their upper bounds. */
const ERROR_DATA_FIELDS = Object.freeze({ triesLeft: 255, retryAfter: 86_400 });

/**
 * @typedef {{kind: 'notification', method: string, params: Record<string, unknown>}
 *   | {kind: 'response', id: number | string, result: unknown}
 *   | {kind: 'error', id: number | string | null, error: import('./errors.js').WireError}} AgentMessage
 */

/** A frame from the agent that is not one of the three message shapes. */
export class MalformedFrameError extends BitaqaError {
  /**
   * @param {'PARSE_ERROR' | 'INVALID_REQUEST'} reason as the Python core names it
   * @param {string} message
   */
  constructor(reason, message) {
    super(reason, message);
  }
}

/**
 * Parse one text frame from the agent.
 * @param {string} text
 * @returns {AgentMessage}
 * @throws {MalformedFrameError}
 */
export function parseAgentFrame(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MalformedFrameError('PARSE_ERROR', 'not JSON');
  }
  if (containsFloat(value)) throw new MalformedFrameError('PARSE_ERROR', 'floats are not allowed');
  if (!isObject(value) || Array.isArray(value)) throw invalid('a message is one JSON object (no batches)');
  if (value.jsonrpc !== '2.0') throw invalid('jsonrpc must be "2.0"');
  const members = Object.keys(value).filter((key) => key !== 'jsonrpc').sort().join(',');
  if (members === 'method' || members === 'method,params') {
    const params = value.params ?? {};
    if (typeof value.method !== 'string' || !isObject(params) || Array.isArray(params)) {
      throw invalid('notification method or params malformed');
    }
    return { kind: 'notification', method: value.method, params: /** @type {Record<string, unknown>} */ (params) };
  }
  if (members === 'id,result') return { kind: 'response', id: requestId(value.id), result: value.result };
  if (members === 'error,id') {
    return { kind: 'error', id: value.id === null ? null : requestId(value.id), error: errorFromWire(errorObject(value.error)) };
  }
  throw invalid('not a response or notification');
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, any>}
 */
function isObject(value) {
  return typeof value === 'object' && value !== null;
}

/** @param {unknown} value @returns {boolean} */
function containsFloat(value) {
  if (typeof value === 'number') return !Number.isInteger(value);
  if (isObject(value)) return Object.values(value).some(containsFloat);
  return false;
}

/** @param {string} message */
function invalid(message) {
  return new MalformedFrameError('INVALID_REQUEST', message);
}

/**
 * @param {unknown} value
 * @returns {number | string}
 */
function requestId(value) {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH) return value;
  throw invalid(`id is an integer or a string of 1 to ${MAX_ID_LENGTH} characters`);
}

/**
 * Check `{code, message, data: {reason, ...}}`; keep only the documented data fields.
 * @param {unknown} value
 * @returns {{code: number, message: string, data: Record<string, unknown>}}
 */
function errorObject(value) {
  if (!isObject(value) || Array.isArray(value) || Object.keys(value).some((key) => !['code', 'message', 'data'].includes(key))) {
    throw invalid('error is {code, message, data}');
  }
  const { code, message, data } = value;
  if (typeof code !== 'number' || typeof message !== 'string') throw invalid('error code is a number, message a string');
  if (!isObject(data) || typeof data.reason !== 'string' || !REASON.test(data.reason)) {
    throw invalid('error data is an object with a reason');
  }
  /** @type {Record<string, unknown>} */
  const kept = { reason: data.reason };
  for (const [key, bound] of Object.entries(ERROR_DATA_FIELDS)) {
    if (!(key in data)) continue;
    const count = data[key];
    if (typeof count !== 'number' || count < 0 || count > bound) throw invalid(`error data ${key} out of range`);
    kept[key] = count;
  }
  return { code, message, data: kept };
}
