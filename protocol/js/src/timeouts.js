/**
 * How long the client waits for each call (SPEC.md §8.4).
 *
 * The agent bounds each dialog itself (answering USER_TIMEOUT) but not the time a request waits
 * in a card's queue behind other tabs; the client bounds the whole call: calls that may open a
 * dialog wait 5 s plus two `userInteractionTimeout`s (default 120 s each, as in web-eid.js),
 * then cancel.  Calls without a dialog wait a short fixed time.
 * @module
 */

import { InvalidParamsError } from './errors.js';

export const DEFAULT_USER_INTERACTION_TIMEOUT_MS = 120_000;
export const MAX_USER_INTERACTION_TIMEOUT_MS = 600_000;
/** Added to the dialog time: the agent's own work. */
export const AGENT_MARGIN_MS = 5_000;
/** For calls that never show a dialog. */
export const AGENT_RESPONSE_TIMEOUT_MS = 10_000;

/** Methods that may show a consent or PIN dialog. */
export const INTERACTIVE_METHODS = Object.freeze(['getCertificates', 'authenticate', 'getSigningCertificate', 'sign', 'readIdentity']);

/**
 * The user interaction timeout a caller asked for, checked.
 * @param {unknown} value `options.userInteractionTimeout`, in milliseconds, or undefined
 * @returns {number}
 */
export function userInteractionTimeout(value) {
  if (value === undefined) return DEFAULT_USER_INTERACTION_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1000 || value > MAX_USER_INTERACTION_TIMEOUT_MS) {
    throw new InvalidParamsError(`userInteractionTimeout must be an integer number of milliseconds from 1000 to ${MAX_USER_INTERACTION_TIMEOUT_MS}`);
  }
  return value;
}

/**
 * How long the client waits for the answer to `method` before it cancels the call.
 * @param {string} method
 * @param {{userInteractionTimeout?: number}} [options]
 * @returns {number} milliseconds
 */
export function callDeadline(method, options = {}) {
  if (!INTERACTIVE_METHODS.includes(method)) return AGENT_RESPONSE_TIMEOUT_MS;
  return AGENT_MARGIN_MS + 2 * userInteractionTimeout(options.userInteractionTimeout);
}
