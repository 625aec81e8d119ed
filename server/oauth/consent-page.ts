/**
 * The HTML of the hosted consent page (`GET /v1/oauth/authorize` and its form posts to
 * `/oauth/consent`): sign in with email, enter the one-time code, approve or deny the scopes;
 * and the error page of a request that cannot be trusted with a redirect.
 */
import type { Response } from 'express';
import { html, sendPage, type RawHtml } from '../http/html.ts';

/** What each payer scope lets the application do, as the payer reads it. */
const SCOPE_TEXT: Record<string, string> = {
  'wallet.read': 'See the balances of your Tillpoint wallet',
  'wallet.pay': 'Pay with your Tillpoint wallet',
};

/** Who asks: the application and its merchant. */
export interface Asker {
  applicationName: string;
  merchantName: string;
}

const sandboxNote = (sandbox: boolean) =>
  sandbox ? html`<p class="sandbox">Sandbox: no email is sent. Read the code with <code>GET /v1/sandbox/otp?email=…</code> using the merchant's API key.</p>` : html``;

function header(asker: Asker): RawHtml {
  return html`<h1>Continue to ${asker.applicationName}</h1><p class="merchant">${asker.merchantName} asks to use your Tillpoint account.</p>`;
}

function notice(message: string | undefined): RawHtml {
  return message ? html`<p class="error" role="alert">${message}</p>` : html``;
}

/** Step 1: the payer's email. */
export function signInPage(res: Response, asker: Asker, state: string, sandbox: boolean, message?: string, status = 200): void {
  sendPage(
    res,
    status,
    'Sign in to continue',
    html`${header(asker)}${notice(message)}
<form method="post" action="/oauth/consent">
<input type="hidden" name="state" value="${state}"><input type="hidden" name="step" value="email">
<label for="email">Email of your Tillpoint account</label><input id="email" name="email" type="email" autocomplete="email" required maxlength="254">
<button type="submit">Send me a code</button></form>${sandboxNote(sandbox)}`,
  );
}

/** Step 2: the one-time code sent to the email. */
export function codePage(res: Response, asker: Asker, state: string, email: string, sandbox: boolean, message?: string, status = 200): void {
  sendPage(
    res,
    status,
    'Enter your code',
    html`${header(asker)}${notice(message)}<p>If ${email} belongs to a Tillpoint account, a 6-digit code was sent there. It is valid for 10 minutes.</p>
<form method="post" action="/oauth/consent">
<input type="hidden" name="state" value="${state}"><input type="hidden" name="step" value="code">
<label for="code">Code</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
<button type="submit">Sign in</button></form>${sandboxNote(sandbox)}`,
  );
}

/** Step 3: approve or deny the scopes. */
export function consentPage(res: Response, asker: Asker, state: string, payerName: string, scopes: readonly string[]): void {
  sendPage(
    res,
    200,
    'Allow access',
    html`${header(asker)}<p>Signed in as ${payerName}. ${asker.applicationName} will be able to:</p>
<ul>${scopes.map((s) => html`<li>${SCOPE_TEXT[s] ?? s}</li>`)}</ul>
<form method="post" action="/oauth/consent">
<input type="hidden" name="state" value="${state}"><input type="hidden" name="step" value="decide">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button></form>`,
  );
}

/** The error page: never a redirect. */
export function errorPage(res: Response, message: string, status = 400): void {
  sendPage(res, status, 'Cannot continue', html`<h1>Cannot continue</h1><p class="error" role="alert">${message}</p><p>Go back to the application and try again.</p>`);
}
