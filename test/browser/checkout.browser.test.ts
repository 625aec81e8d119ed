/**
 * The hosted checkout page in a real browser (Debian's Chromium driven by playwright-core): what a
 * payer sees and clicks, from the merchant's session URL to the merchant's success or cancel page.
 *
 * The merchant's site is a tiny HTTP server started here on 127.0.0.1, so no external network is
 * used. Every story checks both the browser's end state and the API's view of the session and
 * its payment.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient, type components } from '../../client/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type CheckoutSession = components['schemas']['CheckoutSession'];
type CreateSession = components['schemas']['CreateCheckoutSessionRequest'];

const CARDS = {
  succeeds: '4242424242424242',
  declined: '4000000000000002',
  threeDSecure: '4000002760003184',
} as const;

let server: TestServer;
let client: TillpointClient;
let merchantSite: Server;
let merchantBase: string;
/** Pages (path and query) the merchant's site was asked for, in order (favicon requests aside). */
const merchantHits: string[] = [];
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** The merchant's own site: answers every page request with a small page naming the path. */
function startMerchantSite(): Promise<Server> {
  const site = createServer((req: IncomingMessage, res) => {
    if (req.url === '/favicon.ico') return void res.writeHead(404, { Connection: 'close' }).end();
    merchantHits.push(req.url ?? '');
    const path = new URL(req.url ?? '/', 'http://merchant.invalid').pathname;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', Connection: 'close' });
    res.end(`<!doctype html><title>Merchant</title><h1>Merchant page ${path === '/success' ? 'success' : path === '/cancel' ? 'cancel' : 'other'}</h1>`);
  });
  return new Promise((resolve, reject) => {
    site.once('error', reject);
    site.listen(0, '127.0.0.1', () => resolve(site));
  });
}

beforeAll(async () => {
  server = await startTestServer();
  ({ client } = await server.newMerchant('Browser Test Shop'));
  merchantSite = await startMerchantSite();
  merchantBase = `http://127.0.0.1:${(merchantSite.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  merchantSite?.closeAllConnections();
  await new Promise<void>((resolve) => (merchantSite ? merchantSite.close(() => resolve()) : resolve()));
  await server?.close();
});

beforeEach(async () => {
  context = await browser.newContext();
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(15_000);
  page = await context.newPage();
});

afterEach(async () => {
  await context?.close();
});

/** Creates an open session whose redirects point at the merchant's local site. */
async function createSession(amount: number | undefined, currency: string, extra: Pick<CreateSession, 'lineItems'> = {}) {
  return unwrap(
    await client.POST('/v1/checkout/sessions', {
      body: {
        ...(amount === undefined ? {} : { amount }),
        currency,
        description: 'Order ORD-1042',
        successUrl: `${merchantBase}/success?session={SESSION_ID}`,
        cancelUrl: `${merchantBase}/cancel`,
        ...extra,
      },
    }),
  );
}

async function getSession(id: string): Promise<CheckoutSession> {
  return unwrap(await client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: id } } }));
}

async function getPayment(id: string) {
  return unwrap(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: id } } }));
}

async function paymentsOf(sessionId: string) {
  return unwrap(await client.GET('/v1/payments', { params: { query: { checkoutSessionId: sessionId } } })).data;
}

/** Fills the card form as a payer would (by visible label) and presses the pay button. */
async function payWith(cardNumber: string, expiry = '12 / 30', email = 'amara@example.com'): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Card number').fill(cardNumber);
  await page.getByLabel('Expiry (MM / YY)').fill(expiry);
  await page.getByLabel('CVC').fill('123');
  await page.getByLabel('Name on card').fill('Amara Okafor');
  await page.getByRole('button', { name: /^Pay / }).click();
}

/** Waits for the browser to be on the merchant's success page and returns that URL. */
async function landedOnSuccess(): Promise<URL> {
  await page.waitForURL((url) => url.origin === merchantBase && url.pathname === '/success');
  await page.getByRole('heading', { name: 'Merchant page success' }).waitFor();
  return new URL(page.url());
}

/** Normalises the no-break spaces Intl puts between a currency code and the number. */
const text = (value: string | null) => (value ?? '').replace(/\s+/g, ' ').trim();

describe('hosted checkout page', () => {
  it('A: a 3-D Secure card is challenged, approved, and the payer lands on the success URL with the session id', async () => {
    const session = await createSession(2500, 'USD');
    expect(session.status).toBe('open');

    await page.goto(session.url);
    expect(text(await page.getByTestId('amount').textContent())).toBe('$25.00');
    expect(text(await page.getByRole('button', { name: /^Pay / }).textContent())).toBe('Pay $25.00');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Order ORD-1042');

    await payWith(CARDS.threeDSecure);
    await page.waitForURL(/\/authenticate\/pay_[0-9A-Za-z]{24}$/);
    const paymentId = new URL(page.url()).pathname.split('/').pop()!;
    expect(text(await page.locator('.amount').textContent())).toBe('$25.00');
    expect(text(await page.locator('main').textContent())).toContain('ending in 3184');
    // Before the challenge is answered, nothing is paid.
    expect((await getPayment(paymentId)).status).toBe('requires_action');
    expect((await getSession(session.id)).status).toBe('open');

    await page.getByRole('button', { name: 'Complete authentication' }).click();
    const landed = await landedOnSuccess();
    expect(landed.searchParams.get('session')).toBe(session.id);
    expect(merchantHits).toContain(`/success?session=${session.id}`);

    const after = await getSession(session.id);
    expect(after.status).toBe('complete');
    expect(after.paymentId).toBe(paymentId);
    expect(after.completedAt).not.toBeNull();
    const payment = await getPayment(paymentId);
    expect(payment).toMatchObject({
      status: 'succeeded',
      amount: 2500,
      currency: 'USD',
      checkoutSessionId: session.id,
      customerEmail: 'amara@example.com',
      failureCode: null,
      paymentMethod: { type: 'card', card: { last4: '3184', expMonth: 12, expYear: 2030 } },
    });

    // Opening the paid session again goes straight to the success page, never to a second payment.
    merchantHits.length = 0;
    await page.goto(session.url);
    expect((await landedOnSuccess()).searchParams.get('session')).toBe(session.id);
    expect(await paymentsOf(session.id)).toHaveLength(1);
  });

  it('B: the cancel link returns the payer to the cancel URL and leaves the session open', async () => {
    const session = await createSession(2500, 'USD');
    await page.goto(session.url);
    merchantHits.length = 0;

    await page.getByRole('link', { name: /^Cancel and return to Browser Test Shop$/ }).click();
    await page.waitForURL(`${merchantBase}/cancel`);
    await page.getByRole('heading', { name: 'Merchant page cancel' }).waitFor();
    expect(merchantHits).toEqual(['/cancel']);

    const after = await getSession(session.id);
    expect(after.status).toBe('open');
    expect(after.paymentId).toBeNull();
    expect(await paymentsOf(session.id)).toHaveLength(0);
  });

  it('C: a declined card shows an error on the form; paying again with a good card succeeds', async () => {
    const session = await createSession(4200, 'USD');
    await page.goto(session.url);

    await payWith(CARDS.declined);
    const alert = page.getByRole('alert');
    expect(text(await alert.textContent())).toBe('Your card was declined. Try another card.');
    expect(new URL(page.url()).origin).not.toBe(merchantBase);
    // The form is still there, with the amount, ready for another card.
    expect(text(await page.getByTestId('amount').textContent())).toBe('$42.00');
    const declined = await paymentsOf(session.id);
    expect(declined).toHaveLength(1);
    expect(declined[0]).toMatchObject({ status: 'failed', failureCode: 'card_declined' });
    expect((await getSession(session.id)).status).toBe('open');

    // Opening the address the form posted to (a reload, a shared link) shows the form again.
    await page.goto(page.url());
    await page.waitForURL((url) => url.pathname === `/checkout/${session.id}`);
    expect(text(await page.getByTestId('amount').textContent())).toBe('$42.00');

    // A rejected card is explained in words a payer understands, and charges nothing.
    await payWith(CARDS.succeeds, '01 / 20');
    expect(text(await page.getByRole('alert').textContent())).toBe('The card has expired.');
    await payWith('4111111111111111');
    // The previous page also had an alert: wait for the new page's one.
    await page.getByRole('alert').filter({ hasText: /^Card number is not a sandbox test card/ }).waitFor();
    expect(await paymentsOf(session.id)).toHaveLength(1);

    await payWith(CARDS.succeeds);
    expect((await landedOnSuccess()).searchParams.get('session')).toBe(session.id);

    const after = await getSession(session.id);
    expect(after.status).toBe('complete');
    expect(after.paymentId).not.toBeNull();
    const payment = await getPayment(after.paymentId!);
    expect(payment).toMatchObject({ status: 'succeeded', amount: 4200, paymentMethod: { card: { last4: '4242' } } });
    expect(payment.id).not.toBe(declined[0]!.id);
  });

  it('D: failing 3-D Secure returns the payer to the form with an error and fails the payment', async () => {
    const session = await createSession(2500, 'USD');
    await page.goto(session.url);

    await payWith(CARDS.threeDSecure);
    await page.waitForURL(/\/authenticate\/pay_[0-9A-Za-z]{24}$/);
    const paymentId = new URL(page.url()).pathname.split('/').pop()!;

    await page.getByRole('button', { name: 'Fail authentication' }).click();
    await page.waitForURL((url) => url.pathname === `/checkout/${session.id}`);
    expect(text(await page.getByRole('alert').textContent())).toMatch(/^Authentication failed/);
    await page.getByLabel('Card number').waitFor();
    expect(merchantHits.some((hit) => hit.includes(session.id))).toBe(false);

    expect(await getPayment(paymentId)).toMatchObject({ status: 'failed', failureCode: 'authentication_failed', nextAction: null });
    const after = await getSession(session.id);
    expect(after.status).toBe('open');
    expect(after.paymentId).toBeNull();

    // Going back to the challenge page cannot revive the failed payment.
    await page.goto(`${new URL(session.url).origin}/authenticate/${paymentId}`);
    await page.waitForURL((url) => url.pathname === `/checkout/${session.id}`);
    expect((await getPayment(paymentId)).status).toBe('failed');
  });

  it('E: opening an expired session sends the payer to the cancel URL', async () => {
    const session = await createSession(2500, 'USD');
    const expired = unwrap(await client.POST('/v1/checkout/sessions/{sessionId}/expire', { params: { path: { sessionId: session.id } } }));
    expect(expired.status).toBe('expired');
    merchantHits.length = 0;

    await page.goto(session.url);
    await page.waitForURL(`${merchantBase}/cancel`);
    await page.getByRole('heading', { name: 'Merchant page cancel' }).waitFor();
    expect(merchantHits).toEqual(['/cancel']);
    expect(await page.getByLabel('Card number').count()).toBe(0);
    expect((await getSession(session.id)).status).toBe('expired');
    expect(await paymentsOf(session.id)).toHaveLength(0);
  });

  it('answers posts without form fields (scripts, other content types) with the form and an error, never a 5xx', async () => {
    const session = await createSession(2500, 'USD');
    const pay = await server.raw(`/checkout/${session.id}/pay`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ cardNumber: CARDS.succeeds }),
    });
    expect(pay.status).toBe(400);
    expect(await pay.text()).toContain('Enter the card number');

    await page.goto(session.url);
    await payWith(CARDS.threeDSecure);
    await page.waitForURL(/\/authenticate\/pay_[0-9A-Za-z]{24}$/);
    const paymentId = new URL(page.url()).pathname.split('/').pop()!;
    const decide = await server.raw(`/authenticate/${paymentId}`, { method: 'POST', redirect: 'manual' });
    expect(decide.status).toBe(303);
    expect(await getPayment(paymentId)).toMatchObject({ status: 'failed', failureCode: 'authentication_failed' });
    expect((await getSession(session.id)).status).toBe('open');
  });

  it('shows zero-decimal (JPY) and three-decimal (KWD) amounts in their own minor units', async () => {
    const yen = await createSession(5000, 'JPY');
    await page.goto(yen.url);
    expect(text(await page.getByTestId('amount').textContent())).toBe('¥5,000');
    expect(text(await page.getByRole('button', { name: /^Pay / }).textContent())).toBe('Pay ¥5,000');

    const dinar = await createSession(12345, 'KWD');
    await page.goto(dinar.url);
    expect(text(await page.getByTestId('amount').textContent())).toBe('KWD 12.345');

    const lines = await createSession(undefined, 'KWD', {
      lineItems: [
        { name: 'Tea', unitAmount: 1250, quantity: 2 },
        { name: 'Dates', unitAmount: 5, quantity: 1 },
      ],
    });
    await page.goto(lines.url);
    expect(text(await page.getByTestId('amount').textContent())).toBe('KWD 2.505');
    const rows = (await page.locator('table tr').allTextContents()).map(text);
    expect(rows).toEqual(['Tea × 2KWD 2.500', 'Dates × 1KWD 0.005']);
  });
});
