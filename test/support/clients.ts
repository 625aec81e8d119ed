/** Clients for authentication cases shared by every family's tests. */
import { createTillpointClient, type TillpointClient } from '../../client/index.ts';
import type { TestServer } from './server.ts';

/** A client authenticated with a credential that does not exist. */
export function clientWithUnknownKey(s: TestServer): TillpointClient {
  return createTillpointClient({ baseUrl: s.url, apiKey: 'sk_test_ThisKeyWasNeverIssuedByTillpoint00', retry: false });
}
