/**
 * The hosted 3-D Secure challenge (`GET /authenticate/{paymentId}`), outside `/v1`: a simulated
 * issuer page where the payer approves or fails authentication of a `requires_action` payment.
 * Afterwards a checkout payment returns to its session's success URL (or back to the checkout
 * form on failure); an API payment goes to its `returnUrl` with `paymentId` appended.
 */
import express, { type Response } from 'express';
import { findMerchant } from '../auth/index.ts';
import type { AppDeps } from '../deps.ts';
import { html, sendPage } from '../http/html.ts';
import { formatAmount } from '../money/currency.ts';
import { completeAuthentication } from './authentication.ts';
import { findPaymentById, type PaymentRow } from './repository.ts';

const PAYMENT_ID = /^pay_[0-9A-Za-z]{24}$/;

/** Router of the simulated 3-D Secure challenge page. */
export function authenticationPages(deps: AppDeps): express.Router {
  const router = express.Router();
  // A simulator lets the payer approve their own authentication: it exists in the sandbox only.
  if (deps.config.mode !== 'sandbox') return router;

  router.get('/authenticate/:paymentId', async (req, res) => {
    const payment = PAYMENT_ID.test(req.params.paymentId) ? await findPaymentById(deps.db, req.params.paymentId) : undefined;
    if (!payment) return sendPage(res, 404, 'Not found', html`<h1>Authentication not found</h1>`);
    if (payment.status !== 'requires_action') return redirectAfter(deps, res, payment);
    const merchant = await findMerchant(deps.db, payment.merchantId);
    const card = (payment.methodDetails as { card?: { brand?: string; last4?: string } }).card;
    sendPage(
      res,
      200,
      '3-D Secure authentication',
      html`<h1>Confirm your payment</h1>
<p class="merchant">Simulated 3-D Secure challenge from your card issuer</p>
<p class="amount">${formatAmount(payment.amount, payment.currency)}</p>
<p>To ${merchant?.name ?? 'the merchant'} with your ${card?.brand ?? 'card'} ending in ${card?.last4 ?? '••••'}.</p>
<form method="post" action="/authenticate/${payment.id}">
<button type="submit" name="decision" value="approve">Complete authentication</button>
<button type="submit" name="decision" value="fail" class="secondary">Fail authentication</button>
</form>
<div class="sandbox"><strong>Sandbox.</strong> No bank is contacted; choose the outcome to test.</div>`,
    );
  });

  router.post('/authenticate/:paymentId', express.urlencoded({ extended: false, limit: '1kb' }), async (req, res) => {
    const id = req.params.paymentId;
    if (!PAYMENT_ID.test(id) || !(await findPaymentById(deps.db, id))) return sendPage(res, 404, 'Not found', html`<h1>Authentication not found</h1>`);
    // Without a form body (another content type) Express leaves `req.body` undefined.
    const approved = (req.body as { decision?: string } | undefined)?.decision === 'approve';
    const payment = await completeAuthentication(deps.db, deps, id, approved);
    return redirectAfter(deps, res, payment);
  });

  return router;
}

async function redirectAfter(deps: AppDeps, res: Response, payment: PaymentRow): Promise<void> {
  if (payment.checkoutSessionId && deps.ports.checkout) {
    return res.redirect(303, await deps.ports.checkout.returnAfterAuthentication(deps.db, payment));
  }
  if (payment.returnUrl) {
    const url = new URL(payment.returnUrl);
    url.searchParams.set('paymentId', payment.id);
    return res.redirect(303, url.toString());
  }
  const outcome = payment.status === 'succeeded' ? 'Payment authenticated' : 'Authentication failed';
  sendPage(res, 200, outcome, html`<h1>${outcome}</h1><p>You can close this window.</p>`);
}
