/**
 * The hosted checkout page (`GET /checkout/{sessionId}`), outside `/v1`: a server-rendered card
 * form for an open session. Paying redirects to the session's `successUrl` (with `{SESSION_ID}`
 * replaced), to the 3-D Secure challenge when the card asks for it, or back to the form with the
 * reason of a decline. Expired sessions redirect to `cancelUrl`. The session id in the URL is the
 * capability: no credential is needed, and the page never shows merchant data beyond the name.
 */
import { fullFormats } from 'ajv-formats/dist/formats.js';
import express, { type Request, type Response } from 'express';
import { findMerchant } from '../auth/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError } from '../errors/problem.ts';
import { html, sendPage } from '../http/html.ts';
import { formatAmount } from '../money/currency.ts';
import { TEST_CARDS, TEST_OUTCOME_LABELS, authenticationPath } from '../payments/index.ts';
import type { SessionRow } from './repository.ts';
import { successRedirect } from './resource.ts';
import { getSession, payWithCard } from './service.ts';

const MESSAGES: Record<string, string> = {
  card_declined: 'Your card was declined. Try another card.',
  insufficient_funds: 'Your card has insufficient funds. Try another card.',
  authentication_failed: 'Authentication failed, so the payment was not made. Try again or use another card.',
};

const SESSION_ID = /^cs_[0-9A-Za-z]{24}$/;

/** Router of the hosted checkout page and its form posts. */
export function checkoutPages(deps: AppDeps): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '10kb' });

  router.get('/checkout/:sessionId', (req, res, next) => {
    withSession(deps, req, res, async (session) => {
      const code = req.query.error;
      const error = typeof code === 'string' && Object.hasOwn(MESSAGES, code) ? MESSAGES[code]! : null;
      await renderForm(deps, res, session, error, 200);
    }).catch(next);
  });

  // The form posts to `/pay`; a reload or bookmark of that address (after a decline) is a GET.
  router.get('/checkout/:sessionId/pay', (req, res) => res.redirect(303, `/checkout/${encodeURIComponent(req.params.sessionId)}`));

  router.post('/checkout/:sessionId/pay', form, (req, res, next) => {
    withSession(deps, req, res, async (session) => {
      const body = formFields(req.body);
      if (typeof body === 'string') return renderForm(deps, res, session, body, 400);
      const card = parseCard(body);
      if (typeof card === 'string') return renderForm(deps, res, session, card, 400);
      const email = body.email?.trim() || undefined;
      if (email !== undefined && !isEmail(email)) return renderForm(deps, res, session, 'Enter a valid email address.', 400);
      try {
        const result = await payWithCard(deps.db, deps, session.id, card, email);
        if (result.payment.status === 'requires_action') return res.redirect(303, authenticationPath(result.payment.id));
        if (result.failure) return renderForm(deps, res, result.session, MESSAGES[result.failure] ?? 'The payment failed.', 402);
        return res.redirect(303, successRedirect(result.session));
      } catch (err) {
        if (err instanceof ProblemError && err.status < 500) {
          if (err.code === 'invalid_state') return res.redirect(303, `/checkout/${session.id}`);
          return renderForm(deps, res, session, cardErrorMessage(err), err.status === 402 ? 402 : 400);
        }
        throw err;
      }
    }).catch(next);
  });

  router.get('/checkout/:sessionId/cancel', (req, res, next) => {
    withSession(deps, req, res, async (session) => res.redirect(303, session.cancelUrl)).catch(next);
  });

  return router;
}

/** Loads the session (404 page if unknown) and routes closed sessions to their redirect. */
async function withSession(deps: AppDeps, req: Request, res: Response, open: (session: SessionRow) => Promise<unknown>): Promise<void> {
  const id = String(req.params.sessionId);
  const session = SESSION_ID.test(id) ? await getSession(deps.db, deps, null, id).catch(() => undefined) : undefined;
  if (!session) return sendPage(res, 404, 'Checkout not found', html`<h1>Checkout not found</h1><p>This payment link is not valid.</p>`);
  if (session.status === 'expired') return res.redirect(303, session.cancelUrl);
  if (session.status === 'complete') return res.redirect(303, successRedirect(session));
  await open(session);
}

/** The fields the card form sends. */
const FORM_FIELDS = ['cardNumber', 'expiry', 'cvc', 'email', 'holderName'] as const;

/**
 * The card form's fields as single strings (absent ones `undefined`), or the message to show
 * when one was sent more than once: the urlencoded parser turns `cvc=1&cvc=2` into an array, and
 * a form field is never one (issue #7). Fields the form does not have are ignored.
 * @param raw `req.body` as the urlencoded parser left it (`undefined` for another content type).
 */
export function formFields(raw: unknown): Record<(typeof FORM_FIELDS)[number], string | undefined> | string {
  const source = (raw ?? {}) as Record<string, unknown>;
  const fields = {} as Record<(typeof FORM_FIELDS)[number], string | undefined>;
  for (const name of FORM_FIELDS) {
    const value = Object.hasOwn(source, name) ? source[name] : undefined;
    if (value !== undefined && typeof value !== 'string') return 'Each field of the form must be sent once. Check the form and try again.';
    fields[name] = value;
  }
  return fields;
}

/** The contract's `format: email` (the validator's own definition) and `maxLength: 254`. */
const EMAIL = fullFormats.email as RegExp;
function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

type Card = { number: string; expMonth: number; expYear: number; cvc: string; holderName?: string };

/** Reads the card fields of the form, or returns the message to show. */
function parseCard(body: Record<string, string | undefined>): Card | string {
  const number = (body.cardNumber ?? '').replace(/[\s-]/g, '');
  if (!/^[0-9]{12,19}$/.test(number)) return 'Enter the card number (12 to 19 digits).';
  const expiry = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(body.expiry ?? '');
  const month = expiry ? Number(expiry[1]) : 0;
  if (!expiry || month < 1 || month > 12) return 'Enter the expiry date as MM / YY.';
  const year = expiry[2]!.length === 2 ? 2000 + Number(expiry[2]) : Number(expiry[2]);
  const cvc = (body.cvc ?? '').trim();
  if (!/^[0-9]{3,4}$/.test(cvc)) return 'Enter the 3- or 4-digit security code.';
  const holderName = body.holderName?.trim().slice(0, 200) || undefined;
  return { number, expMonth: month, expYear: year, cvc, ...(holderName ? { holderName } : {}) };
}

/**
 * The payer-facing sentence for a rejected card, from the first field error: details phrased
 * for the number ("is not a sandbox test card…") get their subject, others ("the card has
 * expired") are capitalised.
 */
function cardErrorMessage(err: ProblemError): string {
  const detail = err.errors?.[0]?.detail;
  if (!detail) return err.detail;
  const sentence = /^(is|must) /.test(detail) ? `Card number ${detail}` : detail.charAt(0).toUpperCase() + detail.slice(1);
  return sentence.endsWith('.') ? sentence : `${sentence}.`;
}

/** `locale` when Intl knows it (BCP 47), else `en-US`. */
export function supportedLocale(locale: string | null | undefined): string {
  if (!locale) return 'en-US';
  try {
    return Intl.NumberFormat.supportedLocalesOf([locale])[0] ?? 'en-US';
  } catch {
    return 'en-US';
  }
}

async function renderForm(deps: AppDeps, res: Response, session: SessionRow, error: string | null, status: number): Promise<void> {
  const merchant = await findMerchant(deps.db, session.merchantId);
  // Amounts in the customer's locale (given at creation); an unknown tag falls back to en-US.
  const locale = supportedLocale(session.locale);
  const total = formatAmount(session.amount, session.currency, locale);
  const items = session.lineItems.map(
    (item) => html`<tr><td>${item.name} × ${item.quantity.toLocaleString(locale)}</td><td>${formatAmount(item.unitAmount * item.quantity, session.currency, locale)}</td></tr>`,
  );
  // The sandbox lists its test cards; a live page shows no sandbox help at all.
  const sandbox = deps.config.mode === 'sandbox';
  const testCards = Object.entries(TEST_CARDS).map(([number, outcome]) => html`<li><code>${number}</code> ${TEST_OUTCOME_LABELS[outcome]}</li>`);
  const sandboxHelp = sandbox ? html`<div class="sandbox"><strong>Sandbox.</strong> Only test cards work here; use any future expiry and any CVC.<ul>${testCards}</ul></div>` : '';
  sendPage(
    res,
    status,
    `Pay ${merchant?.name ?? ''}`,
    html`<h1>${session.description ?? 'Payment'}</h1>
<p class="merchant">${merchant?.name ?? ''}</p>
${items.length > 0 ? html`<table>${items}</table>` : ''}
<p class="amount" data-testid="amount">${total}</p>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/checkout/${session.id}/pay" autocomplete="off">
<label for="email">Email</label><input id="email" name="email" type="email" value="${session.customerEmail ?? ''}">
<label for="cardNumber">Card number</label><input id="cardNumber" name="cardNumber" inputmode="numeric" placeholder="${sandbox ? '4242 4242 4242 4242' : '1234 1234 1234 1234'}" required>
<div class="row"><div><label for="expiry">Expiry (MM / YY)</label><input id="expiry" name="expiry" placeholder="12 / 30" required></div>
<div><label for="cvc">CVC</label><input id="cvc" name="cvc" inputmode="numeric" placeholder="123" required></div></div>
<label for="holderName">Name on card</label><input id="holderName" name="holderName">
<button type="submit">Pay ${total}</button>
</form>
<a class="cancel" href="/checkout/${session.id}/cancel">Cancel and return to ${merchant?.name ?? 'the merchant'}</a>
${sandboxHelp}`,
  );
}
