// Compiled by `tsc -p .` (never run): the declarations in index.d.ts describe a usable API.
import { BitaqaClient, NoCardError, PinIncorrectError, authenticate, type AuthToken } from '../index.js';

export async function logIn(nonce: string): Promise<AuthToken | string> {
  const client = new BitaqaClient({ lang: 'ar', userInteractionTimeout: 60_000 });
  const stop = client.on('cardInserted', (detail) => void detail);
  try {
    return await authenticate(nonce, { lang: 'en' });
  } catch (error) {
    if (error instanceof PinIncorrectError) return `tries left: ${String(error.data.triesLeft)}`;
    if (error instanceof NoCardError) return error.code;
    throw error;
  } finally {
    stop();
  }
}
