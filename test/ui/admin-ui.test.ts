/**
 * The admin UI in a real browser against a server whose store was seeded by a real sync of the
 * HubSpot sandbox: the overview's charts and capacity, a policy edit with its problem shown next
 * to the field, a preview with moves, apply, a sync that changes the distribution, a record's
 * reason, and the connections page. Screenshots of each page (see harness.ts for where).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import type { QueueResponse } from '../../src/server/api-types.ts';
import { ADMIN_TOKEN, CHROMIUM, SCREENSHOTS, startingPolicy, startUiEnv, type UiEnv } from './harness.ts';

// Without Chromium the suite is skipped, except in CI (CI=true), where it fails and says why.
const hasChromium = existsSync(CHROMIUM);
const runSuite = hasChromium || process.env['CI'] === 'true';
let ui: UiEnv;
let page: Page;
let started = false;

beforeAll(async () => {
  if (!runSuite) return;
  if (!hasChromium) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  ui = await startUiEnv();
  page = ui.page;
  started = true;
}, 60_000);

afterAll(async () => {
  if (started) await ui.close();
});

/** The numbers of a tier table (`data-table`), by tier value. */
async function tierCounts(table: string): Promise<Record<string, number>> {
  const rows = page.locator(`[data-table="${table}"] tbody tr`);
  const counts: Record<string, number> = {};
  for (const row of await rows.all()) {
    const tier = (await row.getAttribute('data-tier')) ?? '';
    counts[tier] = Number(((await row.locator('td').first().textContent()) ?? '').replace(/,/g, ''));
  }
  return counts;
}

const gte = 'input[data-path="company.rules[0].when.gte"]';

describe.skipIf(!runSuite)('the admin UI in Chromium', () => {
  test('the overview shows the tier charts, capacity and the last runs; the key leaves the address bar', async () => {
    await page.goto(`${ui.server.url}/#key=${ADMIN_TOKEN}`);
    await expect.poll(() => new URL(page.url()).hash).toBe('#/overview');
    await page.locator('[data-chart="company-tiers"] canvas').waitFor();
    const box = await page.locator('[data-chart="company-tiers"] canvas').boundingBox();
    expect(box?.width).toBeGreaterThan(200);
    expect(box?.height).toBeGreaterThan(100);
    await page.locator('[data-chart="company-mix"] canvas').waitFor();
    const companies = await tierCounts('company-tiers');
    expect(companies['tech_touch']).toBeGreaterThan(0);
    expect(Object.values(companies).reduce((a, b) => a + b, 0)).toBe(60);
    const highTouch = page.locator('[data-capacity="current"] [data-tier="high_touch"]');
    await expect.poll(() => highTouch.textContent()).toMatch(/4 \/ 6 seats used/);
    await expect.poll(() => highTouch.textContent()).toMatch(/3 CSMs × 2 accounts/);
    expect(await page.locator('[data-table="runs"] tbody tr').first().getAttribute('data-status')).toBe('succeeded');
    expect(await page.locator('#h-rejected + *').textContent()).toMatch(/None/);
    // Closest to the next tier: at most ten companies, each with its tier and the sentence the CRM shows.
    const next = page.locator('[data-table="next-tier"] tbody tr');
    await next.first().waitFor();
    expect(await next.count()).toBeGreaterThan(0);
    expect(await next.count()).toBeLessThanOrEqual(10);
    const sentence = (await next.first().locator('td').last().textContent()) ?? '';
    expect(sentence).toMatch(/ short of | needs /);
    // Each company by its name (from the mirror), linked to its record view.
    const id = (await next.first().getAttribute('data-next-tier')) ?? '';
    const name = ui.portal.objects.companies.records.get(id)?.properties['name'] ?? '';
    expect(name).not.toBe('');
    expect(await next.first().locator('a').textContent()).toBe(name);
    // Its record view is headed by the name, and shows the same sentence under "Next tier".
    await next.first().locator('a').click();
    await expect.poll(() => page.locator('[data-record] [data-next]').textContent()).toBe(sentence);
    expect(await page.locator('#h-record').textContent()).toBe(`${name} · Company ${id}`);
    await page.getByRole('link', { name: 'Overview' }).click();
  });

  test('the sync queue panel: idle after the sync; a failing run shows its error and next try', async () => {
    const panel = page.locator('[data-panel="queue"]');
    await panel.waitFor();
    await ui.server.idle();
    expect(await panel.textContent()).toMatch(
      /0 syncs running, 0 queued \(in this server; at most 4 at once per worker\)/,
    );
    // What the server answers while a run keeps failing (the queue's own tests make it fail for real).
    const failing: QueueResponse['failing'][number] = {
      installationId: ui.installation.id,
      state: 'retrying',
      reason: 'tick',
      kind: 'incremental',
      since: Date.now() - 90_000,
      attempts: 2,
      lastError: 'HubSpot answered 502 Bad Gateway',
      retryAt: Date.now() + 5 * 60_000,
    };
    const answer: QueueResponse = {
      engine: 'embedded',
      concurrency: 4,
      queued: [failing],
      running: [],
      failing: [failing],
    };
    await page.route('**/api/queue', (route) => route.fulfill({ json: answer }));
    try {
      await page.getByRole('link', { name: 'Connections' }).click();
      await page.getByRole('link', { name: 'Overview' }).click();
      const row = page.locator(`[data-table="queue"] tr[data-installation="${ui.installation.id}"]`);
      await row.waitFor();
      expect(await row.getAttribute('data-state')).toBe('retrying');
      const cells = await row.locator('td').allTextContents();
      expect(cells.slice(0, 3)).toEqual(['This one', 'Retrying', 'scheduled']);
      expect(cells[4]).toBe('2');
      expect(cells[5]).toMatch(/^HubSpot answered 502 Bad Gateway — next try in 5 minutes$/);
    } finally {
      await page.unroute('**/api/queue');
      await page.getByRole('link', { name: 'Connections' }).click();
      await page.getByRole('link', { name: 'Overview' }).click();
    }
  });

  test('an invalid threshold shows its problem next to the field, and Apply waits for a fix', async () => {
    await page.getByRole('link', { name: 'Policy' }).click();
    const input = page.locator(gte);
    await input.waitFor();
    expect(await input.inputValue()).toBe('100000');
    await input.fill('abc');
    const field = page.locator('.field', { has: input });
    await expect.poll(() => field.locator('.problems').textContent()).toBe('expected a number, got "abc"');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await input.getAttribute('aria-describedby')) ?? '';
    expect(await page.locator(`#${describedBy.split(' ')[0] ?? ''}`).textContent()).toContain('expected a number');
    expect(await page.locator('.check-status').textContent()).toMatch(/1 problem/);
    expect(await page.getByRole('button', { name: 'Apply as a new version' }).isDisabled()).toBe(true);
  });

  test('a lower threshold previews moves into High-touch, with samples and their reasons', async () => {
    await page.locator(gte).fill('20000');
    await expect.poll(() => page.locator('.check-status').getAttribute('data-check')).toBe('valid');
    expect(
      await page
        .locator('.field', { has: page.locator(gte) })
        .locator('.problems')
        .count(),
    ).toBe(0);
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const moves = page.locator('[data-matrix="company"] td.up[data-to="high_touch"] button');
    await moves.first().waitFor();
    let moved = 0;
    for (const cell of await moves.all()) moved += Number(await cell.textContent());
    expect(moved).toBeGreaterThan(0);
    expect(await page.locator('[data-stat="api-calls"]').textContent()).toMatch(/^[1-9]\d* API calls?$/);
    // By keyboard: the cells are buttons.
    await moves.first().focus();
    await page.keyboard.press('Enter');
    expect(await moves.first().getAttribute('aria-pressed')).toBe('true');
    const samples = page.locator('.samples');
    expect(await samples.getAttribute('data-samples')).toMatch(/^company:\w+:high_touch$/);
    await expect.poll(() => samples.textContent()).toMatch(/≥ 20,000 \(Enterprise deal size\) → High-touch/);
    // Capacity under the candidate: the 6 seats fill, and the rest wait for one.
    const capacity = page.locator('[data-capacity="preview"] [data-tier="high_touch"]');
    expect(await capacity.textContent()).toMatch(/6 \/ 6 seats used/);
    expect(await capacity.locator('[data-shortfall]').textContent()).toMatch(
      /^\d+ eligible accounts? waits? for a High-touch seat — \d+ more CSMs? at 2 accounts covers? (them|it)\.$/,
    );
    // The preview panel scrolls on its own: show the matrix and the samples.
    await page.evaluate(
      '(() => { const panel = document.querySelector(".preview-panel"); panel.scrollTop = panel.querySelector("h3:nth-of-type(2)").offsetTop - 12; })()',
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'policy-editor.png') });
  });

  test('apply saves version 2; after a sync the overview shows the new distribution', async () => {
    const before = await ui.api<{ points: { tiers: { company: Record<string, number> } }[] }>('/distribution');
    expect(before.points.at(-1)?.tiers.company['high_touch']).toBe(4);
    await page.getByRole('button', { name: 'Apply as a new version' }).click();
    await expect.poll(() => page.locator('.notice.success').textContent()).toMatch(/Saved as version 2/);
    await expect.poll(() => page.locator('[data-table="versions"] tbody tr').count()).toBe(2);
    const policy = await ui.api<{ active: { version: number; policy: { company: { rules: { when: unknown }[] } } } }>(
      '/policy',
    );
    expect(policy.active.version).toBe(2);
    expect(policy.active.policy.company.rules[0]?.when).toEqual({ field: 'dealSize', gte: 20000 });
    await ui.server.idle(); // the sync that saving queued

    await page.getByRole('link', { name: 'Overview' }).click();
    // The first sync, and the one applying version 2.
    await expect.poll(() => page.locator('[data-table="runs"] tbody tr').count()).toBe(2);
    await page.getByRole('button', { name: 'Run now' }).click();
    await expect
      .poll(() => page.locator('#run-now-status').textContent(), { timeout: 20_000 })
      .toMatch(/^Sync finished/);
    await expect.poll(() => page.locator('[data-table="runs"] tbody tr').count()).toBe(3);
    await expect.poll(async () => (await tierCounts('company-tiers'))['high_touch']).toBe(6);
    const shortfall = page.locator('[data-capacity="current"] [data-tier="high_touch"] [data-shortfall]');
    await expect
      .poll(() => shortfall.textContent())
      .toMatch(/wait for a High-touch seat — \d+ more CSMs? at 2 accounts/);
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });
  });

  test('an old version loads into the editor to be applied again; the JSON view reports syntax errors', async () => {
    await page.getByRole('link', { name: 'Policy' }).click();
    await page.locator('[data-table="versions"] tr[data-version="1"]').getByRole('button').click();
    await expect.poll(() => page.locator(gte).inputValue()).toBe('100000');
    expect(await page.locator('.toolbar').textContent()).toMatch(/unsaved changes/);
    await page.getByRole('button', { name: 'JSON' }).click();
    const json = page.getByLabel(/The policy as the API takes it/);
    const threshold = async (): Promise<unknown> =>
      (JSON.parse(await json.inputValue()) as { company: { rules: { when: { gte?: number } }[] } }).company.rules[0]
        ?.when.gte;
    expect(await threshold()).toBe(100000);
    await json.fill('{ "version": 1,');
    await expect.poll(() => page.locator('#policy-json-problems').textContent()).toMatch(/^JSON syntax: /);
    expect(await page.getByRole('button', { name: 'Preview', exact: true }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Discard changes' }).click();
    expect(await threshold()).toBe(20000);
    await page.getByRole('button', { name: 'Form' }).click();
    await expect.poll(() => page.locator(gte).inputValue()).toBe('20000');
  });

  test('record lookup shows the tier, its reason and the history', async () => {
    let promoted: string | undefined;
    for await (const tier of ui.server.store.storedTiers(ui.installation.id)) {
      if (tier.type !== 'company' || tier.tier !== 'high_touch') continue;
      const history = await ui.server.store.history(ui.installation.id, 'company', tier.id);
      if (history.some((entry) => entry.oldTier === 'mid_touch' && entry.newTier === 'high_touch')) {
        promoted = tier.id;
        break;
      }
    }
    if (promoted === undefined) throw new Error('no company was promoted to High-touch');
    await page.getByRole('link', { name: 'Record lookup' }).click();
    await page.getByLabel('Record id').fill('no-such-id');
    await page.getByRole('button', { name: 'Look up' }).click();
    await expect
      .poll(() => page.locator('.notice').textContent())
      .toMatch(/No company no-such-id in this installation/);

    await page.getByLabel('Record id').fill(promoted);
    await page.getByRole('button', { name: 'Look up' }).click();
    const record = page.locator(`[data-record="company:${promoted}"]`);
    await record.waitFor();
    expect(await record.locator('.record-tier .tier-badge').textContent()).toBe('High-touch');
    expect(await record.locator('[data-reasons]').textContent()).toMatch(
      /Deal size [\d,.]+ ≥ 20,000 \(Enterprise deal size\) → High-touch/,
    );
    const history = record.locator('[data-table="history"] tbody tr');
    expect(await history.count()).toBe(2);
    expect(await history.first().textContent()).toMatch(/Mid-touch.*High-touch/);
    await page.screenshot({ path: join(SCREENSHOTS, 'record-lookup.png'), fullPage: true });
  });

  test('record lookup finds records by name, domain or email as you type; a match opens the record', async () => {
    await page.getByRole('link', { name: 'Record lookup' }).click();
    const companies = [...ui.portal.objects.companies.records.values()];
    const company = companies[7];
    const person = [...ui.portal.objects.contacts.records.values()][11];
    if (company === undefined || person === undefined) throw new Error('the sandbox portal is too small');
    const name = company.properties['name'] ?? '';
    const search = page.getByLabel('Name, domain, email or record id');
    const matches = page.locator('[data-table="matches"] tbody tr');

    // Typed in pieces, as a person types: one search once the typing pauses, any case.
    await search.clear();
    await search.pressSequentially(name.slice(0, 5).toUpperCase(), { delay: 30 });
    const row = page.locator(`[data-match="company:${company.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(company.properties['domain'] ?? '-');
    const names = await matches.locator('td:first-child').allTextContents();
    const typed = name.slice(0, 5).trim().toLowerCase();
    for (const shown of names) expect(shown.toLowerCase().startsWith(typed), shown).toBe(true);

    await search.fill((person.properties['email'] ?? '-').toUpperCase());
    const personRow = page.locator(`[data-match="contact:${person.id}"]`);
    await personRow.waitFor();
    expect(await matches.count()).toBe(1);
    expect(await personRow.textContent()).toContain(
      `${person.properties['firstname'] ?? ''} ${person.properties['lastname'] ?? ''}`,
    );
    await personRow.getByRole('link').click();
    const record = page.locator(`[data-record="contact:${person.id}"]`);
    await record.waitFor();
    expect(await record.locator('.record-tier .tier-badge').count()).toBe(1);
    expect(await matches.count()).toBe(0);

    await search.fill('zzzz-nothing');
    await expect
      .poll(() => page.locator('.records-page .empty').first().textContent())
      .toMatch(/starts with “zzzz-nothing”/);
    await search.fill(name.slice(0, 5));
    await row.waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'record-search.png'), fullPage: true });
  });

  test('connections: install buttons, status, and the schedule and webhook settings', async () => {
    await page.getByRole('link', { name: 'Connections' }).click();
    const hubspot = page.getByRole('link', { name: 'Install on HubSpot' });
    expect(await hubspot.getAttribute('href')).toBe('/oauth/hubspot/install');
    expect(await page.locator('.install.unavailable').textContent()).toMatch(/no Salesforce app configured/);
    expect(await page.locator(`[data-installation="${ui.installation.id}"]`).textContent()).toMatch(/Connected/);

    await page.getByLabel('Sync every (minutes)').fill('30');
    await page.getByLabel('Notification webhook').fill('not a url');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const urlField = page.locator('.field', { has: page.getByLabel('Notification webhook') });
    await expect.poll(() => urlField.locator('.problems').textContent()).toMatch(/URL/i);
    // The first sync picked the portal's lead-score property and kept it; a refused save changes nothing.
    const before = (await ui.server.store.getInstallation(ui.installation.id))?.settings;
    expect(before).toEqual({ leadScoreProperty: 'inbound_lead_score' });

    await page.getByLabel('Notification webhook').fill('https://hooks.example.com/righttouch');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.locator('.notice.success').textContent()).toMatch(/Settings saved/);
    // Saving the schedule and the webhook keeps the lead-score choice; lists stay on.
    expect((await ui.server.store.getInstallation(ui.installation.id))?.settings).toEqual({
      leadScoreProperty: 'inbound_lead_score',
      syncEveryMinutes: 30,
      notifyUrl: 'https://hooks.example.com/righttouch',
      crmLists: true,
    });
    await page.screenshot({ path: join(SCREENSHOTS, 'connections.png'), fullPage: true });
  });

  test('connections: the lists per tier link to the sandbox portal’s lists; turning lists off says they are left', async () => {
    await page.getByRole('link', { name: 'Connections' }).click();
    // The first run set the portal up, lists included: one companies and one contacts list per tier.
    const rows = page.locator('[data-table="crm-lists"] tbody tr');
    await rows.first().waitFor();
    const live = [...ui.portal.lists.lists.values()].filter((list) => list.deletedAt === undefined);
    expect(await rows.count()).toBe(live.length);
    expect(live.length).toBe(2 * startingPolicy().tiers.length);
    const high = page.locator('[data-table="crm-lists"] tr[data-tier="high_touch"][data-object="companies"] a');
    expect(await high.textContent()).toBe('Engagement model: High-touch companies');
    const id = live.find((list) => list.name === 'Engagement model: High-touch companies')?.listId ?? '';
    expect(await high.getAttribute('href')).toBe(
      `https://app.hubspot.com/contacts/${ui.portal.portalId}/objectLists/${id}`,
    );

    await page.getByLabel('Keep a list per tier in HubSpot').uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.locator('[data-lists]').getAttribute('data-lists')).toBe('off');
    expect(await page.locator('#h-lists + .hint').textContent()).toMatch(/left in HubSpot/);
    expect((await ui.server.store.getInstallation(ui.installation.id))?.settings).toMatchObject({ crmLists: false });
    // The run the change queued sets the CRM up without lists: none deleted, none added.
    await ui.server.idle();
    expect([...ui.portal.lists.lists.values()].filter((list) => list.deletedAt === undefined)).toHaveLength(
      live.length,
    );
    await page.getByLabel('Keep a list per tier in HubSpot').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.locator('[data-lists]').getAttribute('data-lists')).toBe('on');
  });

  test('without a key the UI asks for one, and refuses a wrong one', async () => {
    const fresh = await ui.context.browser()?.newContext();
    const other = fresh === undefined ? await ui.context.newPage() : await fresh.newPage();
    // A new tab has its own sessionStorage: no key.
    await other.goto(`${ui.server.url}/`);
    await other.getByLabel('Paste your API key').waitFor();
    await other.evaluate('window.sessionStorage.clear()');
    await other.reload();
    await other.getByLabel('Paste your API key').fill('wrong-key');
    await other.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => other.locator('#api-key-error').textContent()).toBe('This API key is not valid.');
    await other.getByLabel('Paste your API key').fill(ADMIN_TOKEN);
    await other.getByRole('button', { name: 'Continue' }).click();
    await other.locator('[data-chart="company-tiers"] canvas').waitFor();
    await other.close();
  });
});
