/**
 * An add-to-cart link in a real browser (Debian's Chromium driven by playwright-core): the
 * customer opens `/s/{storeSlug}/cart?add=SKU&currency=GBP`, presses Checkout, pays on the hosted
 * page with the test card 4242 4242 4242 4242 and lands on the success URL; the order is then
 * fulfilled with its licence key. The merchant's site is a tiny local HTTP server.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
let client: TillpointClient;
let merchantSite: Server;
let merchantBase: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  server = await startTestServer();
  ({ client } = await server.newMerchant('Pixel Fonts Ltd'));
  merchantSite = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', Connection: 'close' });
    res.end(`<!doctype html><title>Merchant</title><h1>Thanks from the merchant</h1>`);
  });
  await new Promise<void>((resolve) => merchantSite.listen(0, '127.0.0.1', resolve));
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

/** A store with a licensed product FONT-PRO (£49.00, two keys) and MUG (£12.00). */
async function store(successUrl?: string) {
  const storeSlug = `fonts-${randomBytes(4).toString('hex')}`;
  unwrap(await client.POST('/v1/stores', { body: { slug: storeSlug, name: 'Pixel Fonts', defaultCurrency: 'GBP', ...(successUrl ? { successUrl } : {}) } }));
  const path = { storeSlug };
  unwrap(await client.POST('/v1/stores/{storeSlug}/products', { params: { path }, body: { sku: 'FONT-PRO', name: 'Font Pro licence', prices: { GBP: 4900 }, licensed: true } }));
  unwrap(await client.POST('/v1/stores/{storeSlug}/products', { params: { path }, body: { sku: 'MUG', name: 'Mug', prices: { GBP: 1200 } } }));
  const keys = [`FP-${storeSlug}-1`, `FP-${storeSlug}-2`];
  unwrap(await client.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: 'FONT-PRO' } }, body: { keys } }));
  return { storeSlug, keys };
}

async function payWithTestCard(): Promise<void> {
  await page.getByLabel('Email').fill('amara@example.com');
  await page.getByLabel('Card number').fill('4242424242424242');
  await page.getByLabel('Expiry (MM / YY)').fill('12 / 30');
  await page.getByLabel('CVC').fill('123');
  await page.getByRole('button', { name: /^Pay / }).click();
}

const text = (value: string | null) => (value ?? '').replace(/\s+/g, ' ').trim();

describe('add-to-cart link → cart page → hosted payment → success URL', () => {
  it('buys a licensed product through its link and the order is fulfilled with a key', async () => {
    const { storeSlug, keys } = await store(`${merchantBase}/thanks?session={SESSION_ID}`);
    await page.goto(`${server.url}/s/${storeSlug}/cart?add=FONT-PRO&currency=GBP`);
    await page.getByRole('heading', { name: 'Your cart' }).waitFor();
    expect(text(await page.getByTestId('total').textContent())).toBe('£49.00');
    await page.getByRole('button', { name: 'Checkout' }).click();

    await page.waitForURL(/\/checkout\/cs_[0-9A-Za-z]{24}$/);
    const sessionId = new URL(page.url()).pathname.split('/').pop()!;
    expect(text(await page.getByTestId('amount').textContent())).toBe('£49.00');
    await payWithTestCard();

    await page.waitForURL((url) => url.origin === merchantBase && url.pathname === '/thanks');
    expect(new URL(page.url()).searchParams.get('session')).toBe(sessionId);
    await page.getByRole('heading', { name: 'Thanks from the merchant' }).waitFor();

    const [order] = unwrap(await client.GET('/v1/stores/{storeSlug}/orders', { params: { path: { storeSlug } } })).data;
    expect(order).toMatchObject({ status: 'fulfilled', checkoutSessionId: sessionId, amount: 4900, currency: 'GBP', customerEmail: null });
    expect(order!.paymentId).toMatch(/^pay_/);
    const licence = order!.items[0]!.licenseKeys;
    expect(licence).toHaveLength(1);
    expect(keys).toContain(licence[0]!.key);
    expect(licence[0]!.status).toBe('assigned');
  });

  it('a cart of two lines in German formatting, then Tillpoint\'s order page shows the key', async () => {
    const { storeSlug, keys } = await store();
    await page.goto(`${server.url}/s/${storeSlug}/cart?items=FONT-PRO:1,MUG:2&currency=GBP&locale=de-DE`);
    expect(text(await page.getByTestId('total').textContent())).toBe('73,00 £');
    await page.getByRole('button', { name: 'Checkout' }).click();
    await page.waitForURL(/\/checkout\/cs_[0-9A-Za-z]{24}$/);
    // The hosted page shows the cart lines in the requested locale.
    expect(text(await page.locator('table').textContent())).toContain('Mug × 224,00 £');
    expect(text(await page.getByTestId('amount').textContent())).toBe('73,00 £');
    await payWithTestCard();

    await page.waitForURL(new RegExp(`/s/${storeSlug}/orders/cs_[0-9A-Za-z]{24}$`));
    await page.getByRole('heading', { name: 'Thank you for your order' }).waitFor();
    expect(await page.getByTestId('order-status').textContent()).toBe('fulfilled');
    const shown = await page.getByTestId('license-key').allTextContents();
    expect(shown).toHaveLength(1);
    expect(keys).toContain(shown[0]);
  });

  it('a bad SKU in the link is explained on the cart page, with no Checkout button', async () => {
    const { storeSlug } = await store();
    const response = await page.goto(`${server.url}/s/${storeSlug}/cart?add=NO-SUCH&currency=GBP`);
    expect(response?.status()).toBe(400);
    expect(text(await page.getByRole('alert').textContent())).toBe('NO-SUCH is not a product of this store.');
    expect(await page.getByRole('button', { name: 'Checkout' }).count()).toBe(0);
  });
});
