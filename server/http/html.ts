/**
 * Minimal server-rendered HTML for the hosted pages: escaping and one shared layout with strict
 * security headers (no framing, no caching, no referrer leaking session ids).
 */
import type { Response } from 'express';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Tagged template that escapes every interpolated value unless it is {@link raw}. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): RawHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    const rendered = Array.isArray(value)
      ? value.map((v) => (v instanceof RawHtml ? v.value : escapeHtml(v))).join('')
      : value instanceof RawHtml ? value.value : escapeHtml(value);
    out += rendered + (strings[i + 1] ?? '');
  });
  return new RawHtml(out);
}

/** Already-safe HTML. */
export class RawHtml {
  constructor(readonly value: string) {}
}

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5f7;color:#1d2433;margin:0}
main{max-width:440px;margin:48px auto;background:#fff;border-radius:12px;box-shadow:0 2px 12px #0001;padding:32px}
h1{font-size:1.2rem;margin:0 0 4px}.merchant{color:#5b6475;margin:0 0 20px}.amount{font-size:2rem;font-weight:600;margin:8px 0 20px}
label{display:block;font-size:.85rem;color:#5b6475;margin:14px 0 4px}input{width:100%;box-sizing:border-box;padding:10px;border:1px solid #c9ced8;border-radius:6px;font-size:1rem}
.row{display:flex;gap:12px}.row>div{flex:1}button{width:100%;margin-top:22px;padding:12px;border:0;border-radius:6px;background:#2f5bea;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#e6e9ef;color:#1d2433}.error{background:#fdecec;color:#a01c1c;padding:10px;border-radius:6px;margin-bottom:12px}
.sandbox{font-size:.8rem;background:#fff7e0;border-radius:6px;padding:10px;margin-top:20px;color:#6b5200}.cancel{display:block;text-align:center;margin-top:14px;color:#5b6475}
table{width:100%;border-collapse:collapse;font-size:.9rem;margin-bottom:12px}td{padding:4px 0}td:last-child{text-align:right}`;

/** Sends a complete page with the hosted-page security headers. */
export function sendPage(res: Response, status: number, title: string, body: RawHtml): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body.value}</main></body></html>`,
    );
}
