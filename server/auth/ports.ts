/**
 * What auth asks of the family that owns applications and client tokens, without importing it
 * (applications depends on auth, not the other way round). Implemented by applications under
 * `provides.applications`; without it, no client token verifies and no merchant can be created.
 */
import type { Executor } from '../db/index.ts';
import type { AuthContext } from './context.ts';

/** A client token that verified: the caller, and until when (server clock; null = no expiry). */
export interface VerifiedClientToken {
  auth: AuthContext;
  validUntil: Date | null;
}

/** The applications side of authentication. */
export interface ApplicationsPort {
  /**
   * Verifies a well-formed client token (checksum already checked): hash look-up, constant-time
   * compare, not revoked, not expired at `now`, and its merchant.
   */
  verifyClientToken(db: Executor, token: string, now: Date): Promise<VerifiedClientToken | null>;
  /** Notes that a client token authenticated a request at `now` (throttled, off the request path). */
  tokenUsed(deps: { db: Executor; log: { warn(obj: object, msg: string): void } }, tokenId: string, now: Date): void;
  /** Creates the default application of a new merchant, with its public `clientId`, in `db` (the merchant's transaction). */
  createDefaultApplication(db: Executor, merchantId: string, clientId: string, now: Date): Promise<void>;
  /** The `clientId` of the merchant's default application. */
  defaultClientId(db: Executor, merchantId: string): Promise<string | undefined>;
  /** The id of the merchant's application with this `clientId`, if there is one. */
  applicationOfClientId(db: Executor, merchantId: string, clientId: string): Promise<string | undefined>;
}

declare module '../deps.ts' {
  interface Ports {
    /** Offered by applications to auth. */
    applications: ApplicationsPort;
  }
}
