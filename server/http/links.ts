/** Links to the hosted pages, made once per server from its public base URL. */
import type { AppConfig, Links } from '../deps.ts';

/**
 * The links of a server. `config.publicBaseUrl` is read on each call: `startServer` knows it only
 * once the port is bound.
 */
export function createLinks(config: Pick<AppConfig, 'publicBaseUrl'>): Links {
  return {
    checkout: (sessionId) => `${config.publicBaseUrl}/checkout/${sessionId}`,
    authentication: (paymentId) => `${config.publicBaseUrl}/authenticate/${paymentId}`,
  };
}
