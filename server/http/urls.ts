import { invalidField } from '../errors/problem.ts';

/**
 * Checks a redirect URL given by the merchant (`successUrl`, `cancelUrl`, `returnUrl`): it must
 * parse as an absolute http(s) URL once the `{SESSION_ID}` placeholder is filled in; https only
 * when `httpsOnly` (live mode: a payer must never be sent to a plain-http page).
 * @param pointer JSON pointer of the field in the request body, for the problem's `errors[]`.
 * @throws ProblemError 400 `invalid_request` naming the field.
 */
export function assertRedirectUrl(pointer: string, value: string, httpsOnly = false): void {
  let url: URL;
  try {
    url = new URL(value.replaceAll('{SESSION_ID}', 'cs_placeholder'));
  } catch {
    throw invalidField(pointer, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidField(pointer, 'must be an absolute http(s) URL');
  if (httpsOnly && url.protocol !== 'https:') throw invalidField(pointer, 'must be an https URL on a live server');
}
