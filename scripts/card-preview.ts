/**
 * A picture of the HubSpot record card (`npm run screenshots:card`, and `npm run screenshots` via
 * test/ui/card-preview.test.ts): the committed card component (hubspot-project/src/app/cards,
 * compiled with esbuild since Node does not strip types from .tsx) rendered by
 * `@hubspot/ui-extensions/testing`'s renderer, as a sales manager would meet it on a company:
 *
 * - its CRM properties are what a sync writes for one company under the default policy (tier,
 *   reasons joined as the sync joins them, the next-tier sentence: core `classify`, sync `withHint`);
 * - its recent changes are the real answer of RightTouch's card route (`src/server/routes/card.ts`)
 *   over a store holding two tier changes of that company, fetched through the double of HubSpot's
 *   signing `hubspot.fetch` proxy (sandbox/hubspot/card-fetch.ts), as test/app/card.test.ts does.
 *
 * The rendered component tree is drawn with stand-ins (card-standins.ts) and screenshotted with
 * Debian's Chromium (playwright-core). HubSpot draws the real card itself; this is its content with
 * approximate styles, not HubSpot's pixels.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createElement } from 'react';
import { transform } from 'esbuild';
import express from 'express';
import { chromium } from 'playwright-core';
import { Text, type CrmContext } from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { classify, type Policy } from '../src/core/index.ts';
import { cardRouter } from '../src/server/routes/card.ts';
import { SqliteStore } from '../src/store/sqlite.ts';
import { withHint } from '../src/sync/next-hint.ts';
import { cardFetchDouble } from '../sandbox/hubspot/card-fetch.ts';
import { cardPage, treeHtml } from './card-standins.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CARD_FILE = join(root, 'hubspot-project', 'src', 'app', 'cards', 'EngagementModelCard.tsx');
const CARD_META = join(root, 'hubspot-project', 'src', 'app', 'cards', 'engagement_model_card-hsmeta.json');
/** The committed card is generated for this address (EXAMPLE_BASE_URL). */
const PUBLIC = 'https://righttouch.example.com';
const SECRET = 'card-preview-secret';
const PORTAL = 4_411_829;
const COMPANY = { type: 'company' as const, id: '18374652101', fields: { dealSize: 62_000, employees: 340 } };
const DAY = 86_400_000;

export interface CardPreview {
  /** The card's stand-in HTML (the card body only). */
  readonly body: string;
  /** The whole page the screenshot is taken of. */
  readonly page: string;
}

/** Imports a card source (the committed one unless given) compiled to JS next to node_modules. */
async function importCard(
  source: string,
): Promise<{ EngagementModelCard: (props: { context: CrmContext }) => unknown }> {
  const { code } = await transform(source, { loader: 'tsx', format: 'esm', jsx: 'transform', target: 'es2022' });
  const dir = join(root, '.cache', 'card-preview');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `card-${process.pid}-${Date.now()}.mjs`);
  writeFileSync(file, code);
  try {
    return (await import(pathToFileURL(file).href)) as never;
  } finally {
    rmSync(file, { force: true });
  }
}

function defaultPolicy(): Policy {
  return JSON.parse(readFileSync(join(root, 'policies', 'default.json'), 'utf8')) as Policy;
}

/** The card's CRM properties as a sync writes them for the preview's company (default policy). */
function syncedProperties(): Record<string, string> {
  const policy = defaultPolicy();
  const [decision] = classify(policy, [COMPANY], undefined, new Date('2026-11-18T06:00:00Z')).decisions;
  if (decision === undefined) throw new Error('card preview: no decision');
  const hinted = withHint(decision, COMPANY.fields, policy);
  return {
    engagement_model: hinted.tier,
    engagement_model_reason: hinted.reasons.join('; '),
    engagement_model_next: hinted.hint,
    engagement_model_updated_at: '2026-11-18T06:00:00Z',
  };
}

/** Renders the card (`source`: the committed card unless given) and draws its tree with the stand-ins. */
export async function renderCardPreview(source = readFileSync(CARD_FILE, 'utf8')): Promise<CardPreview> {
  const properties = syncedProperties();
  const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'righttouch-card-preview-')), 'r.db'));
  await store.migrate();
  const installation = await store.upsertInstallation('hubspot', String(PORTAL), 'Northwind');
  // The card route answers the active policy's tier labels with the history.
  await store.savePolicy(installation.id, defaultPolicy());
  const change = (tier: string, reasons: string[]) => [{ type: COMPANY.type, id: COMPANY.id, tier, reasons }];
  const now = Date.parse('2026-11-18T06:00:00Z');
  await store.applyTierChanges(installation.id, 'r1', change('low_touch', ['Deal size 8,000 ≥ 5,000']), now - 75 * DAY);
  await store.applyTierChanges(
    installation.id,
    'r2',
    change(properties['engagement_model'] ?? '', [properties['engagement_model_reason'] ?? '']),
    now,
  );
  const app = express().use(cardRouter({ store, clientSecret: SECRET, publicBaseUrl: PUBLIC }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((ready) => server.once('listening', ready));
  const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const double = cardFetchDouble({
    clientSecret: SECRET,
    permittedUrls: [PUBLIC],
    portalId: PORTAL,
    userId: 1,
    userEmail: 'manager@example.com',
    appendMetadata: true,
    deliver: (url) => url.replace(PUBLIC, local),
  });
  // `hubspot.fetch` calls the worker's `self.hsFetch` (@hubspot/ui-extensions dist/hubspot.js).
  Object.assign(globalThis, { self: { hsFetch: double.fetch } });
  try {
    const card = await importCard(source);
    const renderer = createRenderer('crm.record.sidebar');
    renderer.mocks.useCrmProperties.willCall(() => ({
      properties,
      error: null,
      isLoading: false,
      isRefetching: false,
      refetch: async () => {},
    }));
    const context: CrmContext = {
      ...renderer.mocks.context,
      portal: { id: PORTAL, timezone: 'America/New_York' },
      crm: { objectId: Number(COMPANY.id), objectTypeId: '0-2' },
    };
    renderer.render(createElement(card.EngagementModelCard as never, { context }));
    // Drawn once the history answered (or the card says it is unavailable).
    await renderer.waitFor(
      () => {
        const texts = renderer.findAll(Text).map((t) => t.text ?? '');
        if (double.calls.length === 0 || !texts.some((t) => /→|unavailable|No changes/.test(t)))
          throw new Error('card preview: the card has not shown its history');
      },
      { timeoutInMs: 10_000 },
    );
    const body = treeHtml(renderer.getRootNode());
    const meta = JSON.parse(readFileSync(CARD_META, 'utf8')) as { config: { name: string } };
    return { body, page: cardPage(meta.config.name, body) };
  } finally {
    Reflect.deleteProperty(globalThis, 'self');
    await new Promise((done) => server.close(done));
    await store.close();
  }
}

/** Screenshots a preview's page (the card only) into `file` with Chromium. */
export async function screenshotCard(preview: CardPreview, file: string, chromiumPath: string): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 400, height: 600 }, deviceScaleFactor: 2 });
    await page.setContent(preview.page);
    await page.locator('[data-card]').screenshot({ path: file });
  } finally {
    await browser.close();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = join(root, process.env['RIGHTTOUCH_SCREENSHOTS'] ?? 'docs/screenshots', 'hubspot-card.png');
  await screenshotCard(await renderCardPreview(), out, process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium');
  console.log(`wrote ${out}`);
}
