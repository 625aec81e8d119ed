/**
 * The docs page as an integrator uses it, in a real browser (Debian's Chromium through
 * playwright-core): `/docs` of the reference server renders with every request to another origin
 * refused (the page is self-contained), its navigation shows the tag groups and display names,
 * and searching for an operation leads to its curl sample.
 *
 * Set DOCS_SCREENSHOT to a file path to save a screenshot of the operation found.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPERATIONS } from '../../client/index.ts';
import { useTestServer } from '../support/use-test-server.ts';

const root = resolve(import.meta.dirname, '../..');
const bundle = parse(readFileSync(join(root, 'generated/openapi.yaml'), 'utf8')) as {
  'x-tagGroups': { name: string; tags: string[] }[];
  paths: Record<string, Record<string, { summary: string; 'x-codeSamples': { label: string; source: string }[] }>>;
};

const { server } = useTestServer();
let browser: Browser;
let page: Page;
const foreign: string[] = [];

/** Lets through only what the reference server serves (and in-page data and blob URLs). */
function offline(route: Route) {
  const url = route.request().url();
  if (url.startsWith(server.url) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
  foreign.push(url);
  return route.abort();
}

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // Offline: anything not served by the reference server itself is refused and recorded.
  await page.route('**/*', offline);
  await page.goto(`${server.url}/docs`);
  await page.locator('[data-testid="search-trigger"]').waitFor();
});

afterAll(async () => {
  await browser?.close();
});

describe('/docs', () => {
  it('renders without fetching anything from another origin, grouped by the tag groups with display names', async () => {
    for (const group of bundle['x-tagGroups']) await expect(page.getByText(group.name, { exact: true }).first().isVisible()).resolves.toBe(true);
    await expect(page.getByText('Payments and refunds', { exact: true }).first().isVisible()).resolves.toBe(true);
    expect(foreign).toEqual([]);
  });

  it('finds an operation by searching and shows its curl sample, with TypeScript and Python beside it', async () => {
    const { method, path } = OPERATIONS.createRefund;
    const op = bundle.paths[path]![method]!;
    const sample = (label: string) => op['x-codeSamples'].find((s) => s.label === label)!.source;
    const flat = (text: string) => text.replace(/\s+/g, ' ').trim();

    await page.locator('[data-testid="search-trigger"]').click();
    await page.locator('input[placeholder^="Search"]').fill(op.summary);
    await page.getByText(op.summary, { exact: true }).first().click();
    await page.waitForFunction(() => location.hash === '#/payments/createrefund');

    // The request sample panel of the operation shows its curl sample, whole.
    const curl = page.locator('pre[data-testid="source-code"]').filter({ hasText: '$TILLPOINT_BASE_URL/v1/payments/$PAYMENT_ID/refunds' });
    await curl.waitFor();
    expect(flat(await curl.innerText())).toBe(flat(sample('curl')));
    if (process.env.DOCS_SCREENSHOT) await page.screenshot({ path: process.env.DOCS_SCREENSHOT });

    // Its language menu offers the TypeScript and Python samples.
    await curl.evaluate((el) => el.closest('[data-component-name="Panel/Panel"]')!.setAttribute('data-test-panel', 'createRefund'));
    const panel = page.locator('[data-test-panel="createRefund"]');
    await panel.getByRole('button', { name: 'curl', exact: true }).click();
    await page.getByRole('menuitem', { name: 'TypeScript' }).click();
    const typescript = panel.locator('pre[data-testid="source-code"]').filter({ hasText: 'createTillpointClient' });
    await typescript.waitFor();
    expect(flat(await typescript.innerText())).toBe(flat(sample('TypeScript')));
    await panel.getByRole('button', { name: 'TypeScript', exact: true }).click();
    await expect(page.getByRole('menuitem', { name: 'Python' }).count()).resolves.toBeGreaterThan(0);
    expect(foreign).toEqual([]);
  });

  it('opens the section an llms.txt link points to', async () => {
    const llms = readFileSync(join(root, 'generated/llms.txt'), 'utf8');
    const link = /\]\(\/docs(#[^)]+)\): `GET \/v1\/balance`/.exec(llms)![1]!;
    const fresh = await browser.newPage();
    await fresh.route('**/*', offline);
    await fresh.goto(`${server.url}/docs${link}`);
    const summary = bundle.paths['/v1/balance']!.get!.summary;
    // The section's title is at the top of the window.
    const title = fresh.locator('h1, h2').filter({ hasText: new RegExp(`^${summary}$`) }).filter({ visible: true }).first();
    await title.waitFor();
    expect((await title.boundingBox())!.y).toBeLessThan(200);
    expect(await fresh.evaluate(() => location.hash)).toBe(link);
    await fresh.close();
    expect(foreign).toEqual([]);
  });
});
