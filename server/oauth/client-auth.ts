/**
 * HTTP Basic client authentication as RFC 6749 §2.3.1 defines it: the client id and secret are
 * each form-urlencoded (Appendix B) before `id:secret` is base64-encoded. Strict clients
 * (oauth4webapi) encode `_` as `%5F`; the library's Basic parser does not decode, so the token
 * endpoint hands it the decoded credentials.
 */

/** The client id and secret of an `Authorization: Basic …` header, decoded; `undefined` when absent, `null` when malformed. */
export function basicCredentials(authorization: string | undefined): { id: string; secret: string } | undefined | null {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!basic) return /^Basic\b/i.test(authorization ?? '') ? null : undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

/**
 * The `Authorization` header re-encoded without the form-urlencoding (plain `id:secret`), as the
 * library's parser expects; other headers unchanged.
 */
export function normaliseBasicHeader(authorization: string | undefined): string | undefined {
  const credentials = basicCredentials(authorization);
  if (!credentials || credentials.id.includes(':')) return authorization;
  return `Basic ${Buffer.from(`${credentials.id}:${credentials.secret}`, 'utf8').toString('base64')}`;
}
