/**
 * Public store pages outside `/v1`, server-rendered like the hosted checkout page:
 * - `GET /s/{storeSlug}/cart?add=SKU&currency=GBP` or `?items=SKU1:1,SKU2:2&currency=GBP`
 *   (optional `&locale=de-DE`): the cart at catalog prices, with a Checkout button that creates
 *   the store checkout session and goes to the hosted payment page. Bad SKUs, quantities or
 *   currencies are explained on the page (status 400), never a 5xx.
 * - `GET /s/{storeSlug}/orders/{sessionId}`: where a cart's customer lands after paying (unless the
 *   store has its own `successUrl`): the order and its licence keys. The session id is the capability.
 * - `GET /market?q=`: active products of every store that opted in, each with its add-to-cart link.
 */
import express, { type Response } from 'express';
import { getSession, supportedLocale } from '../checkout-sessions/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError } from '../errors/problem.ts';
import { html, sendPage, type RawHtml } from '../http/html.ts';
import { formatAmount, isSupportedCurrency } from '../money/currency.ts';
import { MAX_QUANTITY, checkoutCart, orderOfSession, priceCart } from './orders.ts';
import * as repo from './repository.ts';
import type { StoreRow } from './repository.ts';
import { toOrder } from './resource.ts';
import type { OrderLine } from './schema.ts';

const SLUG = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SESSION_ID = /^cs_[0-9A-Za-z]{24}$/;
const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const MAX_LINES = 50;
/** Lifetime of a checkout session started from the cart page, in seconds. */
const CART_SESSION_SECONDS = 1800;

/** A cart parsed from the query, or the messages explaining why it cannot be. */
interface ParsedCart {
  items: Record<string, number>;
  messages: string[];
}

/** Reads one query value (a repeated parameter is refused). */
function single(value: unknown): string | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : null;
}

/**
 * Parses `add=SKU` (one unit; `quantity=n` optional) and/or `items=SKU:qty,SKU:qty` into a cart.
 * Entries that cannot be read are left out with a message each.
 */
export function parseCart(query: Record<string, unknown>): ParsedCart {
  const items: Record<string, number> = {};
  const messages: string[] = [];
  const entries: [string, string][] = [];
  const add = single(query.add);
  const list = single(query.items);
  const quantity = single(query.quantity);
  if (add === null || list === null || quantity === null) messages.push('Each of add, items and quantity may be given once.');
  if (add) entries.push([add, quantity ?? '1']);
  if (list) {
    for (const part of list.split(',').slice(0, MAX_LINES + 1)) {
      if (!part.trim()) continue;
      const [sku, qty, extra] = part.split(':');
      if (extra !== undefined) messages.push(`“${part.slice(0, 80)}” is not SKU:quantity.`);
      else entries.push([sku!.trim(), (qty ?? '1').trim()]);
    }
  }
  for (const [sku, qty] of entries) {
    if (!SKU.test(sku)) messages.push(`“${sku.slice(0, 80)}” is not a valid SKU.`);
    else if (!/^[0-9]{1,3}$/.test(qty) || Number(qty) < 1 || Number(qty) > MAX_QUANTITY) messages.push(`The quantity of ${sku} must be a whole number from 1 to ${MAX_QUANTITY}.`);
    else items[sku] = Math.min(MAX_QUANTITY, (items[sku] ?? 0) + Number(qty));
  }
  if (Object.keys(items).length > MAX_LINES) messages.push(`A cart holds at most ${MAX_LINES} products.`);
  return { items, messages };
}

/** The canonical `items` value of a cart: `SKU:qty,SKU:qty`. */
const itemsParam = (items: Record<string, number>) => Object.entries(items).map(([s, q]) => `${s}:${q}`).join(',');

/** Prices what it can of a cart: the lines at catalog prices and a message per SKU it cannot sell. */
async function priceWhatSells(deps: AppDeps, store: StoreRow, items: Record<string, number>, currency: string): Promise<{ lines: OrderLine[]; messages: string[] }> {
  const messages: string[] = [];
  const rest = { ...items };
  for (;;) {
    if (Object.keys(rest).length === 0) return { lines: [], messages };
    try {
      return { lines: await priceCart(deps.db, store, rest, currency), messages };
    } catch (err) {
      if (!(err instanceof ProblemError) || err.status !== 400 || !err.errors?.length) throw err;
      for (const e of err.errors) {
        const sku = e.pointer?.split('/')[2];
        if (sku === undefined || !Object.hasOwn(rest, sku)) return { lines: [], messages: [...messages, err.detail] };
        delete rest[sku];
        messages.push(`${e.detail.charAt(0).toUpperCase()}${e.detail.slice(1)}.`);
      }
    }
  }
}

/** Router of the cart, order and market pages. */
export function storePages(deps: AppDeps): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '10kb' });

  const findStore = async (slug: string) => (SLUG.test(slug) ? repo.findStore(deps.db, null, slug) : undefined);
  const notFoundPage = (res: Response) => sendPage(res, 404, 'Store not found', html`<h1>Store not found</h1><p>This store link is not valid.</p>`);

  /** Renders the cart of `query` (from the link, or the form posted back after a failed checkout). */
  async function renderCart(res: Response, store: StoreRow, query: Record<string, unknown>, extra: string[] = [], status?: number): Promise<void> {
    const cart = parseCart(query);
    const messages = [...extra, ...cart.messages];
    const rawCurrency = single(query.currency);
    const currency = rawCurrency === undefined ? store.defaultCurrency : (rawCurrency ?? '').toUpperCase();
    const rawLocale = single(query.locale);
    const locale = rawLocale && LOCALE.test(rawLocale) ? supportedLocale(rawLocale) : 'en-US';
    let lines: OrderLine[] = [];
    if (!isSupportedCurrency(currency)) messages.push(`“${String(rawCurrency ?? '').slice(0, 10)}” is not a currency this store can take; use a three-letter code such as ${store.defaultCurrency}.`);
    else if (Object.keys(cart.items).length > 0) {
      const priced = await priceWhatSells(deps, store, cart.items, currency);
      lines = priced.lines;
      messages.push(...priced.messages);
    } else if (messages.length === 0) messages.push('Your cart is empty. Add a product with a link such as ?add=SKU.');
    const total = lines.reduce((sum, l) => sum + l.unitAmount * l.quantity, 0);
    const kept = Object.fromEntries(lines.map((l) => [l.sku, l.quantity]));
    const rows = lines.map((l) => html`<tr data-sku="${l.sku}"><td>${l.name} × ${l.quantity.toLocaleString(locale)}</td><td>${formatAmount(l.unitAmount * l.quantity, currency, locale)}</td></tr>`);
    const body: RawHtml = html`<h1>Your cart</h1><p class="merchant">${store.name}</p>
${messages.map((m) => html`<p class="error" role="alert">${m}</p>`)}
${lines.length > 0
  ? html`<table>${rows}</table><p class="amount" data-testid="total">${formatAmount(total, currency, locale)}</p>
<form method="post" action="/s/${store.slug}/cart/checkout"><input type="hidden" name="items" value="${itemsParam(kept)}"><input type="hidden" name="currency" value="${currency}"><input type="hidden" name="locale" value="${locale}">
<button type="submit">Checkout</button></form>`
  : ''}`;
    sendPage(res, status ?? (messages.length > 0 ? 400 : 200), `Cart · ${store.name}`, body);
  }

  router.get('/s/:storeSlug/cart', (req, res, next) => {
    (async () => {
      const store = await findStore(String(req.params.storeSlug));
      if (!store || store.licensingOnly) return notFoundPage(res);
      await renderCart(res, store, req.query as Record<string, unknown>);
    })().catch(next);
  });

  router.post('/s/:storeSlug/cart/checkout', form, (req, res, next) => {
    (async () => {
      const store = await findStore(String(req.params.storeSlug));
      if (!store || store.licensingOnly) return notFoundPage(res);
      const fields = (req.body ?? {}) as Record<string, unknown>;
      const cart = parseCart({ items: fields.items });
      const currency = single(fields.currency) ?? store.defaultCurrency;
      const rawLocale = single(fields.locale);
      const locale = rawLocale && LOCALE.test(rawLocale) ? rawLocale : undefined;
      if (cart.messages.length > 0 || Object.keys(cart.items).length === 0 || !isSupportedCurrency(currency)) return renderCart(res, store, fields);
      const base = deps.config.publicBaseUrl;
      const cartUrl = `${base}/s/${store.slug}/cart?${new URLSearchParams({ items: itemsParam(cart.items), currency, ...(locale ? { locale } : {}) })}`;
      try {
        const checkout = await checkoutCart(deps.db, deps, store, {
          items: cart.items,
          currency,
          ...(locale ? { locale } : {}),
          // A short hold: an anonymous cart must not keep licence keys out of the pool for long.
          expiresIn: CART_SESSION_SECONDS,
          successUrl: store.successUrl ?? `${base}/s/${store.slug}/orders/{SESSION_ID}`,
          cancelUrl: store.cancelUrl ?? cartUrl,
        });
        res.redirect(303, deps.links.checkout(checkout.session.id));
      } catch (err) {
        if (err instanceof ProblemError && err.status < 500) {
          const message = err.code === 'license_pool_exhausted' ? `Sorry, ${err.errors?.[0]?.pointer?.split('/')[2] ?? 'a product'} is sold out.` : err.detail;
          return renderCart(res, store, fields, [message], err.status);
        }
        throw err;
      }
    })().catch(next);
  });

  router.get('/s/:storeSlug/orders/:sessionId', (req, res, next) => {
    (async () => {
      const sessionId = String(req.params.sessionId);
      const store = await findStore(String(req.params.storeSlug));
      if (store && SESSION_ID.test(sessionId)) await getSession(deps.db, deps, null, sessionId).catch(() => undefined); // expires it if due
      const detail = store && SESSION_ID.test(sessionId) ? await orderOfSession(deps.db, sessionId) : undefined;
      if (!store || !detail || detail.order.storeId !== store.id) return sendPage(res, 404, 'Order not found', html`<h1>Order not found</h1><p>This order link is not valid.</p>`);
      const order = toOrder(detail);
      const heading = { pending: 'Waiting for your payment', fulfilled: 'Thank you for your order', expired: 'This checkout expired', refunded: 'This order was refunded', disputed: 'This order is disputed' }[order.status];
      const keys = order.items.flatMap((i) => i.licenseKeys.map((k) => html`<li><span>${i.name}</span>: <code data-testid="license-key">${k.key}</code>${k.status === 'assigned' ? '' : html` (${k.status})`}</li>`));
      sendPage(res, 200, `Order · ${store.name}`, html`<h1>${heading}</h1><p class="merchant">${store.name}</p>
<p>Order <code data-testid="order-id">${order.id}</code> · <span data-testid="order-status">${order.status}</span></p>
${keys.length > 0 ? html`<h2>Your licence keys</h2><ul>${keys}</ul>` : ''}`);
    })().catch(next);
  });

  router.get('/market', (req, res, next) => {
    (async () => {
      const raw = single(req.query.q);
      const q = raw ? raw.trim().slice(0, 100) : '';
      const found = await repo.marketProducts(deps.db, q || undefined, 200);
      const rows = found.map(({ store, product }) => {
        const currency = product.prices[store.defaultCurrency] !== undefined ? store.defaultCurrency : Object.keys(product.prices)[0]!;
        const link = `/s/${store.slug}/cart?${new URLSearchParams({ add: product.sku, currency })}`;
        return html`<tr data-sku="${product.sku}"><td><strong>${product.name}</strong><br><small>${store.name}</small>${product.description ? html`<br><small>${product.description}</small>` : ''}</td><td>${formatAmount(product.prices[currency]!, currency)}<br><a href="${link}">Add to cart</a></td></tr>`;
      });
      sendPage(res, 200, 'Market', html`<h1>Market</h1><p class="merchant">Products of Tillpoint stores</p>
<form method="get" action="/market"><label for="q">Search by name</label><input id="q" name="q" value="${q}" maxlength="100"><button type="submit" class="secondary">Search</button></form>
${rows.length > 0 ? html`<table>${rows}</table>` : html`<p>No products match${q ? html` “${q}”` : ''}.</p>`}`);
    })().catch(next);
  });

  return router;
}
