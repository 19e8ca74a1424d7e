/**
 * Finding the agent before the WebSocket is opened (SPEC.md §3.5, §3.6).
 *
 * The client first makes one CORS `fetch` of `/.well-known/bitaqa`.  In Chrome 142+ that fetch is
 * what shows the Local Network Access prompt, at a moment the page chose and can explain.  How a
 * failed fetch is classified — honestly, a heuristic, because browsers give every network failure
 * the same opaque `TypeError`:
 *
 * 1. An answer with CORS headers and `"agent": "bitaqa"` is an agent; if its `protocols` lack this
 *    client's subprotocol it is too old (`AgentVersionError`).
 * 2. If nothing answered and the Permissions API reports the `loopback-network` (Chrome 145+) or
 *    `local-network-access` permission as `denied`, the resident or a policy blocked it
 *    (`LocalNetworkAccessDeniedError`).  Browsers without that permission name cannot tell a
 *    denial from a missing agent; they get `AgentUnavailableError`.
 * 3. If the CORS fetch failed but a `no-cors` fetch of the same URL succeeded, something listens
 *    there and refused this origin its CORS headers: the agent does not trust this origin
 *    (`OriginNotAllowedError`).
 * 4. Otherwise no agent runs (`AgentUnavailableError`) — or, for `wss://` only, its certificate
 *    is not trusted, which is why plain `ws://` ports are tried next where the browser allows.
 * @module
 */

import { AgentUnavailableError, AgentVersionError, LocalNetworkAccessDeniedError, OriginNotAllowedError } from './errors.js';
import { SUBPROTOCOL } from './endpoints.js';

/** How long one discovery fetch may take (SPEC.md §3.6); loopback answers in milliseconds. */
export const DISCOVERY_TIMEOUT_MS = 2000;

/** Permission names for loopback access, newest first (Chrome 145 split the original name). */
export const LOOPBACK_PERMISSION_NAMES = Object.freeze(['loopback-network', 'local-network-access']);

/**
 * @typedef {object} AgentInfo the discovery document
 * @property {string} agent always 'bitaqa'
 * @property {string} version the agent's version, e.g. '0.1.0'
 * @property {string[]} protocols subprotocols it speaks, e.g. ['bitaqa.v1']
 */

/**
 * @typedef {{kind: 'agent', info: AgentInfo} | {kind: 'refused'} | {kind: 'unreachable'}} ProbeResult
 */

/**
 * Fetch one endpoint's discovery document.
 * @param {string} url
 * @param {typeof fetch} fetchImpl
 * @param {number} [timeoutMs]
 * @returns {Promise<ProbeResult>}
 */
export async function probe(url, fetchImpl, timeoutMs = DISCOVERY_TIMEOUT_MS) {
  try {
    const response = await fetchImpl(url, { mode: 'cors', credentials: 'omit', cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
    const info = response.ok ? parseAgentInfo(await response.json()) : null;
    return info ? { kind: 'agent', info } : { kind: 'unreachable' };
  } catch {
    try {
      await fetchImpl(url, { mode: 'no-cors', credentials: 'omit', cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
      return { kind: 'refused' };
    } catch {
      return { kind: 'unreachable' };
    }
  }
}

/**
 * Validate a discovery document; anything else on the port is not our agent.
 * @param {unknown} body
 * @returns {AgentInfo | null}
 */
export function parseAgentInfo(body) {
  if (typeof body !== 'object' || body === null) return null;
  const { agent, version, protocols } = /** @type {Record<string, unknown>} */ (body);
  if (agent !== 'bitaqa' || typeof version !== 'string') return null;
  if (!Array.isArray(protocols) || !protocols.every((p) => typeof p === 'string')) return null;
  return { agent, version, protocols };
}

/**
 * Throw `AgentVersionError` unless the agent speaks this client's subprotocol.
 * @param {AgentInfo} info
 */
export function requireCompatible(info) {
  if (!info.protocols.includes(SUBPROTOCOL)) {
    throw new AgentVersionError(`The Bitaqa agent ${info.version} does not speak ${SUBPROTOCOL}; it needs an update`, {
      agentVersion: info.version,
      protocols: info.protocols,
    });
  }
}

/**
 * The loopback permission's state, or 'unknown' where the browser cannot say.
 * @param {{query(descriptor: {name: string}): Promise<{state: string}>} | undefined} permissions
 * @returns {Promise<string>}
 */
export async function loopbackPermissionState(permissions) {
  if (!permissions) return 'unknown';
  for (const name of LOOPBACK_PERMISSION_NAMES) {
    try {
      return (await permissions.query({ name })).state;
    } catch {
      // This browser does not know the name (TypeError); try the older one.
    }
  }
  return 'unknown';
}

/**
 * The error to report when no endpoint answered as a usable agent.
 * @param {ProbeResult[]} results one per endpoint tried
 * @param {string} permissionState from loopbackPermissionState()
 * @returns {Error}
 */
export function classifyFailure(results, permissionState) {
  if (permissionState === 'denied') return new LocalNetworkAccessDeniedError();
  if (results.some((r) => r.kind === 'refused')) {
    return new OriginNotAllowedError('The Bitaqa agent does not allow this site', {});
  }
  return new AgentUnavailableError();
}

