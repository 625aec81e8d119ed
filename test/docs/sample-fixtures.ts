/**
 * What the code samples need to run against the reference server, declared once per placeholder
 * (not per operation): the samples of `generated/code-samples.ts` and the curl ones of
 * `x-codeSamples` read environment variables (see `.ci/samples.ts`), and
 * `code-samples.test.ts` fills each from here, for a fresh sandbox merchant per operation.
 *
 * THE RULE FOR A NEW OPERATION (also in test/README.md):
 * - its path parameters and identifier body fields become placeholders named after them
 *   (`{escrowId}` → `ESCROW_ID`); a placeholder no operation had before needs an entry in
 *   {@link PLACEHOLDERS} saying how to obtain one (usually: create the object with the merchant's
 *   client and return its id). A missing one fails the test, naming the operation and the
 *   placeholder;
 * - its sample must get the documented success status (its lowest 2xx/3xx). When the contract's
 *   first request example cannot succeed on a fresh merchant as it is (state the sample assumes,
 *   a page answering HTML or a redirect), add an entry to {@link OPERATION_FIXTURES}: other
 *   placeholder values, or the other documented status the sample gets, with the reason; a value
 *   only a running flow can give (an OAuth code, a one-time code) is marked in the contract with
 *   `x-sample-variable: NAME` and obtained here under that name (an optional parameter so marked
 *   is sent too); an operation acting for a registered payer (`x-payer-scopes`) reads
 *   `PAYER_TOKEN`.
 *
 * The full table is in server/README.md ("Docs and code samples of a new operation").
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import type { SandboxMerchant, TestServer } from '../support/server.ts';
import { cardPayment } from '../support/server.ts';
import { DESTINATIONS } from '../disbursements/fixtures.ts';
import { consentWithForms, createPayer, defaultApplicationId, mintPayerToken, oauthApplication, pkcePair, postForm, uniqueEmail } from '../oauth/fixtures.ts';

/** What a fixture can use: the server, the operation's fresh merchant, and the other placeholders. */
export interface FixtureContext {
  server: TestServer;
  merchant: SandboxMerchant;
  /** The merchant's client (API key, no retries). */
  client: TillpointClient;
  /** The value of another placeholder (each is obtained once per operation). */
  get(variable: string): Promise<string>;
}

/** How to obtain the value of one placeholder. */
export type Fixture = (ctx: FixtureContext) => Promise<string>;

/** A succeeded 25.00 USD card payment. */
const payment: Fixture = async ({ client }) => unwrap(await client.POST('/v1/payments', { body: cardPayment() })).id;

/** A webhook endpoint (a URL nothing listens on: deliveries are not run by the test server). */
const webhookEndpoint: Fixture = async ({ client }) =>
  unwrap(await client.POST('/v1/webhook-endpoints', { body: { url: 'http://127.0.0.1:9/webhooks', events: ['payment.succeeded'] } })).id;

/** A store slug no store has yet (slugs are unique across Tillpoint, not per merchant). */
const freshStoreSlug = () => `samples-${randomBytes(6).toString('hex')}`;

/** The licensed product the store examples name (`items: { FONT-PRO: 1 }`, `/products/FONT-PRO`). */
const EXAMPLE_SKU = 'FONT-PRO';

/**
 * A GBP store (the examples' currency) selling {@link EXAMPLE_SKU} at the examples' price
 * (4900 GBP, 5900 USD), licensed, with 3 keys in its pool: enough for a checkout session, a
 * licensing fulfilment and the fixture order of {@link PLACEHOLDERS}.ORDER_ID.
 */
const storeWithLicensedProduct: Fixture = async ({ client }) => {
  const storeSlug = freshStoreSlug();
  unwrap(await client.POST('/v1/stores', { body: { slug: storeSlug, name: 'Pixel Fonts', defaultCurrency: 'GBP' } }));
  const path = { storeSlug };
  unwrap(await client.POST('/v1/stores/{storeSlug}/products', { params: { path }, body: { sku: EXAMPLE_SKU, name: 'Font Pro licence', prices: { GBP: 4900, USD: 5900 }, licensed: true } }));
  const keys = Array.from({ length: 3 }, (_, i) => `SAMPLE-${storeSlug}-${i}`);
  unwrap(await client.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: EXAMPLE_SKU } }, body: { keys } }));
  return storeSlug;
};

/**
 * A `fulfilled` checkout order of the STORE_SLUG store: a session for one {@link EXAMPLE_SKU},
 * paid on the hosted page with the test card as a customer's browser does (refundable, and
 * disputable in the sandbox).
 */
const fulfilledOrder: Fixture = async ({ client, server, get }) => {
  const storeSlug = await get('STORE_SLUG');
  const session = unwrap(
    await client.POST('/v1/stores/{storeSlug}/checkout/sessions', {
      params: { path: { storeSlug } },
      body: { items: { [EXAMPLE_SKU]: 1 }, successUrl: 'https://shop.example.com/thanks', cancelUrl: 'https://shop.example.com/cart' },
    }),
  );
  const paid = await server.raw(`/checkout/${session.id}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ cardNumber: '4242424242424242', expiry: '12/30', cvc: '123' }).toString(),
    redirect: 'manual',
  });
  if (paid.status !== 303) throw new Error(`paying ${session.id} on the hosted page answered ${paid.status}`);
  const order = unwrap(await client.GET('/v1/stores/{storeSlug}/orders/{orderId}', { params: { path: { storeSlug, orderId: session.orderId } } }));
  if (order.status !== 'fulfilled') throw new Error(`order ${order.id} is ${order.status} after payment`);
  return order.id;
};

/** The payer the request examples name (createEscrow's `payer.email`, getSandboxOtp's `email`). */
const EXAMPLE_PAYER_EMAIL = 'amara@example.com';

/** A payer email no code was sent to yet (one-time codes have a 60 s resend cooldown per destination). */
const freshPayerEmail = () => `samples-${randomBytes(6).toString('hex')}@example.com`;

/** Sends a one-time code to `email` (requestOtp) and reads it back (getSandboxOtp). */
async function oneTimeCode(client: TillpointClient, email: string): Promise<string> {
  unwrap(await client.POST('/v1/otp', { body: { email } }));
  return unwrap(await client.GET('/v1/sandbox/otp', { params: { query: { email } } })).code;
}

/**
 * A `funded` escrow of the examples' amount (50000 UGX, which resolveSandboxEscrowDispute's split
 * of 30000 + 20000 adds up to): mobile money that succeeds at once, a payer confirmed by a
 * one-time code, delivery confirmation a day from now. Funded allows release, cancel and dispute.
 */
const fundedEscrow: Fixture = async ({ client, merchant }) => {
  const email = freshPayerEmail();
  const escrow = unwrap(
    await client.POST('/v1/escrows', {
      params: { header: { 'X-Client-Id': merchant.clientId } },
      body: {
        amount: 50000,
        currency: 'UGX',
        paymentMethod: { type: 'mobile_money', provider: 'mtn', phoneNumber: '+256700000001' },
        payer: { email, otp: await oneTimeCode(client, email) },
        terms: { type: 'delivery_confirmation', deadline: new Date(Date.now() + 86_400_000).toISOString() },
        description: 'Code samples',
      },
    }),
  );
  if (escrow.status !== 'funded') throw new Error(`escrow ${escrow.id} is ${escrow.status} after createEscrow`);
  return escrow.id;
};

/**
 * An unexpired, unused USD quote of the merchant, with its available balance funded by a
 * succeeding 100.00 USD card payment first (the quote's total, 15.00 USD plus fees, is covered):
 * one mobile-money and one bank-account recipient the sandbox pays. The bank recipient is paid by
 * the payout job, so a disbursement of it stays `pending` (cancellable) until the job runs.
 */
const fundedQuote: Fixture = async ({ client, merchant }) => {
  unwrap(await client.POST('/v1/payments', { body: cardPayment(10_000, 'USD') }));
  const params = { header: { 'X-Client-Id': merchant.clientId } };
  const recipients = [
    { destination: DESTINATIONS.mobileMoneyPaid, amount: 1000, reference: 'SAMPLES-1' },
    { destination: DESTINATIONS.bankPaid, amount: 500, reference: 'SAMPLES-2' },
  ];
  return unwrap(await client.POST('/v1/disbursements/quotes', { params, body: { currency: 'USD', recipients } })).id;
};

/** A `held` escrow-disbursement of {@link fundedQuote}'s quote (held allows get, release and cancel). */
const heldEscrowDisbursement: Fixture = async ({ client, merchant, get }) => {
  const params = { header: { 'X-Client-Id': merchant.clientId } };
  const held = unwrap(await client.POST('/v1/escrow-disbursements', { params, body: { quoteId: await get('QUOTE_ID'), description: 'Code samples' } }));
  if (held.status !== 'held') throw new Error(`escrow-disbursement ${held.id} is ${held.status} after createEscrowDisbursement`);
  return held.id;
};

/** The redirect URI the OAuth examples name. */
const EXAMPLE_REDIRECT_URI = 'https://shop.example.com/oauth/callback';

/** An OAuth client of the merchant (once per sample run): an application with {@link EXAMPLE_REDIRECT_URI}, and its client secret. */
const oauthClients = new WeakMap<FixtureContext, ReturnType<typeof oauthApplication>>();
const oauthClient = (ctx: FixtureContext) => {
  let app = oauthClients.get(ctx);
  if (!app) oauthClients.set(ctx, (app = oauthApplication(ctx.client, [EXAMPLE_REDIRECT_URI])));
  return app;
};

/**
 * An authorization code of {@link oauthClient} with its PKCE verifier (RFC 7636), for a new
 * sandbox payer who signed in on the consent page with a one-time code and allowed both scopes:
 * the flow of test/oauth/fixtures.ts, through plain HTTP form posts as a browser sends them.
 */
const authorizations = new WeakMap<FixtureContext, Promise<{ code: string; verifier: string }>>();
const authorization = (ctx: FixtureContext) => {
  let grant = authorizations.get(ctx);
  if (!grant) {
    grant = (async () => {
      const { clientId } = await oauthClient(ctx);
      const email = uniqueEmail('samples');
      await createPayer(ctx.client, [], { email });
      const { verifier, challenge } = await pkcePair();
      const query = { response_type: 'code', client_id: clientId, redirect_uri: EXAMPLE_REDIRECT_URI, scope: 'wallet.read wallet.pay', code_challenge: challenge, code_challenge_method: 'S256' };
      const redirect = await consentWithForms(ctx.server, ctx.client, query, email);
      const code = redirect.searchParams.get('code');
      if (!code) throw new Error(`the consent page redirected without a code: ${redirect.href}`);
      return { code, verifier };
    })();
    authorizations.set(ctx, grant);
  }
  return grant;
};

/**
 * Every placeholder of the samples and how to obtain it. The `TILLPOINT_*` credentials are there
 * for any operation's security or `X-Client-Id`; the others are ids, each read by some sample.
 */
export const PLACEHOLDERS: Record<string, Fixture> = {
  TILLPOINT_BASE_URL: async ({ server }) => server.url,
  TILLPOINT_API_KEY: async ({ merchant }) => merchant.apiKey,
  TILLPOINT_API_SECRET: async ({ merchant }) => merchant.apiSecret,
  TILLPOINT_CLIENT_ID: async ({ merchant }) => merchant.clientId,
  TILLPOINT_CLIENT_TOKEN: async ({ client, merchant }) => {
    const apps = unwrap(await client.GET('/v1/applications'));
    const app = apps.data.find((a) => a.clientId === merchant.clientId) ?? apps.data[0]!;
    return unwrap(await client.POST('/v1/applications/{applicationId}/tokens', { params: { path: { applicationId: app.id } }, body: { label: 'code samples', scopes: ['*'] } })).token;
  },
  IDEMPOTENCY_KEY: async () => randomUUID(),
  PAYMENT_ID: payment,
  SESSION_ID: async ({ client }) =>
    unwrap(await client.POST('/v1/checkout/sessions', { body: { amount: 2500, currency: 'USD', successUrl: 'https://shop.example.com/done', cancelUrl: 'https://shop.example.com/cart' } })).id,
  APPLICATION_ID: async ({ client }) => unwrap(await client.POST('/v1/applications', { body: { name: 'Samples' } })).id,
  TOKEN_ID: async ({ client, get }) =>
    unwrap(await client.POST('/v1/applications/{applicationId}/tokens', { params: { path: { applicationId: await get('APPLICATION_ID') } }, body: { label: 'to revoke', scopes: ['payments.read'] } })).id,
  /** A second key: the calling key cannot be revoked (409 api_key_in_use). */
  API_KEY_ID: async ({ client }) => unwrap(await client.POST('/v1/api-keys')).id,
  ENDPOINT_ID: webhookEndpoint,
  WEBHOOK_ENDPOINT_ID: async ({ get }) => get('ENDPOINT_ID'),
  /** The event of a payment, with an endpoint subscribed to it (so it can be redelivered). */
  EVENT_ID: async ({ client, get }) => {
    await get('ENDPOINT_ID');
    const id = await get('PAYMENT_ID');
    const events = unwrap(await client.GET('/v1/events', { params: { query: { type: 'payment.succeeded' } } }));
    const event = events.data.find((e) => (e.data.object as { id?: string }).id === id);
    if (!event) throw new Error(`no payment.succeeded event for ${id}`);
    return event.id;
  },
  /** createStore's slug (`x-sample-variable`): unique across Tillpoint, so a fresh one per sample. */
  NEW_STORE_SLUG: async () => freshStoreSlug(),
  STORE_SLUG: storeWithLicensedProduct,
  SKU: async ({ get }) => {
    await get('STORE_SLUG');
    return EXAMPLE_SKU;
  },
  ORDER_ID: fulfilledOrder,
  /** getSandboxOtp's `email` (`x-sample-variable`): the example payer's address, after requestOtp sent a code there. */
  OTP_EMAIL: async ({ client }) => {
    unwrap(await client.POST('/v1/otp', { body: { email: EXAMPLE_PAYER_EMAIL } }));
    return EXAMPLE_PAYER_EMAIL;
  },
  /** A one-time code (OtpCode's `x-sample-variable`): the one sent to OTP_EMAIL, read back with getSandboxOtp. */
  OTP_CODE: async ({ client, get }) => {
    const email = await get('OTP_EMAIL');
    return unwrap(await client.GET('/v1/sandbox/otp', { params: { query: { email } } })).code;
  },
  ESCROW_ID: fundedEscrow,
  /** createEscrow's `terms.deadline` (`x-sample-variable`): at most a year ahead, so a day from now rather than a fixed date. */
  ESCROW_DEADLINE: async () => new Date(Date.now() + 86_400_000).toISOString(),
  QUOTE_ID: fundedQuote,
  /** A `pending` disbursement of QUOTE_ID (its bank recipient not yet paid by the payout job). */
  DISBURSEMENT_ID: async ({ client, merchant, get }) => {
    const params = { header: { 'X-Client-Id': merchant.clientId } };
    const d = unwrap(await client.POST('/v1/disbursements', { params, body: { quoteId: await get('QUOTE_ID'), description: 'Code samples' } }));
    if (d.status !== 'pending') throw new Error(`disbursement ${d.id} is ${d.status} after createDisbursement`);
    return d.id;
  },
  /** The `client_id` of an OAuth application whose redirect URI is the examples' one. */
  CLIENT_ID: async (ctx) => (await oauthClient(ctx)).clientId,
  /** Its client secret (`x-sample-variable`), from createClientSecret. */
  CLIENT_SECRET: async (ctx) => (await oauthClient(ctx)).clientSecret,
  /** A live authorization code (`x-sample-variable`) from the consent flow, for CLIENT_ID. */
  AUTHORIZATION_CODE: async (ctx) => (await authorization(ctx)).code,
  /** The PKCE `code_verifier` (`x-sample-variable`) of AUTHORIZATION_CODE. */
  CODE_VERIFIER: async (ctx) => (await authorization(ctx)).verifier,
  /** A refresh token (revokeOAuthToken's `token`, `x-sample-variable`): AUTHORIZATION_CODE exchanged at the token endpoint. */
  REFRESH_TOKEN: async (ctx) => {
    const [{ clientId, clientSecret }, { code, verifier }] = await Promise.all([oauthClient(ctx), authorization(ctx)]);
    const r = await postForm(ctx.server, '/v1/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: EXAMPLE_REDIRECT_URI, code_verifier: verifier, client_id: clientId, client_secret: clientSecret });
    const body = (await r.json()) as { refresh_token?: string };
    if (r.status !== 200 || !body.refresh_token) throw new Error(`the token endpoint answered ${r.status}: ${JSON.stringify(body)}`);
    return body.refresh_token;
  },
  /**
   * X-Payer-Token of an operation acting for a registered payer (x-payer-scopes): an access token
   * of a new sandbox payer (100.00 USD, 50000 UGX in its wallet) for the merchant's default
   * application with every payer scope, minted in the database as test/oauth/fixtures.ts does
   * until the OAuth token endpoint is on main.
   */
  PAYER_TOKEN: async ({ server, merchant, client }) => {
    const payer = await createPayer(client, [{ amount: 10000, currency: 'USD' }, { amount: 50000, currency: 'UGX' }]);
    const applicationId = await defaultApplicationId(client);
    return (await mintPayerToken(server, merchant.merchantId, applicationId, payer.id, ['wallet.read', 'wallet.pay'])).token;
  },
};

/** A per-operation exception: other placeholder values, or another documented status, and why. */
export interface OperationFixture {
  /** Why the operation needs it (shown when its sample fails). */
  reason: string;
  /** Placeholders whose value differs for this operation. */
  placeholders?: Record<string, Fixture>;
  /** The documented status its sample gets instead of the lowest 2xx/3xx. */
  status?: number;
}

/** Operations whose samples need more than {@link PLACEHOLDERS}. */
export const OPERATION_FIXTURES: Record<string, OperationFixture> = {
  getPaymentInstructions: {
    reason: 'payer instructions exist for a pending mobile-money payment',
    placeholders: {
      PAYMENT_ID: async ({ client }) =>
        unwrap(await client.POST('/v1/payments', { body: { amount: 5000, currency: 'UGX', paymentMethod: { type: 'mobile_money', provider: 'mtn', phoneNumber: '+256700000003' } } })).id,
    },
  },
  resolveSandboxEscrowDispute: {
    reason: 'only a disputed escrow can be resolved: the funded ESCROW_ID of the examples\' amount, disputed (disputeEscrow) first',
    placeholders: {
      ESCROW_ID: async (ctx) => {
        const escrowId = await fundedEscrow(ctx);
        unwrap(
          await ctx.client.POST('/v1/escrows/{escrowId}/dispute', {
            params: { path: { escrowId }, header: { 'X-Client-Id': ctx.merchant.clientId } },
            body: { reason: 'not_delivered', details: 'Never arrived.' },
          }),
        );
        return escrowId;
      },
    },
  },
  getEscrowDisbursement: {
    reason: 'its path parameter is also named {disbursementId}, so DISBURSEMENT_ID here is an escrow-disbursement (edb_…): a held one of QUOTE_ID',
    placeholders: { DISBURSEMENT_ID: heldEscrowDisbursement },
  },
  releaseEscrowDisbursement: {
    reason: 'DISBURSEMENT_ID here is an escrow-disbursement (edb_…; the path parameter is also {disbursementId}); only a held one can be released',
    placeholders: { DISBURSEMENT_ID: heldEscrowDisbursement },
  },
  cancelEscrowDisbursement: {
    reason: 'DISBURSEMENT_ID here is an escrow-disbursement (edb_…; the path parameter is also {disbursementId}); only a held one can be cancelled',
    placeholders: { DISBURSEMENT_ID: heldEscrowDisbursement },
  },
  fulfillLicensingOrder: {
    reason:
      'its lowest documented status, 200, answers a repeat of an external reference already fulfilled (the same order); the example on a fresh merchant is a first fulfilment, 201 Created',
    status: 201,
  },
};
