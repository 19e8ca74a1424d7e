/**
 * @bitaqa/client — use the resident's ID card from a web page through the local Bitaqa agent.
 *
 * Either create a `BitaqaClient` or use the functions below, which share one default client.
 *
 *     import * as bitaqa from '@bitaqa/client';
 *     const token = await bitaqa.authenticate(nonceFromBackend, { lang: 'ar' });
 *
 * Every failure rejects with a `BitaqaError` whose `code` names it (see errors.js).
 * @module
 */

import { BitaqaClient } from './client.js';

export * from './errors.js';
export { BitaqaClient, CLIENT_VERSION, EVENT_NAMES } from './client.js';
export { SUBPROTOCOL, candidateEndpoints } from './endpoints.js';
export { DEFAULT_USER_INTERACTION_TIMEOUT_MS } from './timeouts.js';

/** @type {BitaqaClient | null} */
let defaultClient = null;

/** The client the module-level functions use, created on first use. */
export function getDefaultClient() {
  defaultClient ??= new BitaqaClient();
  return defaultClient;
}

/** @type {BitaqaClient['status']} */
export const status = () => getDefaultClient().status();
/** @type {BitaqaClient['authenticate']} */
export const authenticate = (challengeNonce, options) => getDefaultClient().authenticate(challengeNonce, options);
/** @type {BitaqaClient['getSigningCertificate']} */
export const getSigningCertificate = (options) => getDefaultClient().getSigningCertificate(options);
/** @type {BitaqaClient['sign']} */
export const sign = (signedRequest, options) => getDefaultClient().sign(signedRequest, options);
/** @type {BitaqaClient['readIdentity']} */
export const readIdentity = (signedRequest, options) => getDefaultClient().readIdentity(signedRequest, options);
/** @type {BitaqaClient['cancel']} */
export const cancel = () => getDefaultClient().cancel();
/** @type {BitaqaClient['on']} */
export const on = (type, listener) => getDefaultClient().on(type, listener);
