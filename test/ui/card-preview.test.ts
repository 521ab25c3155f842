/**
 * The record card's preview (scripts/card-preview.ts): the committed card component rendered by
 * HubSpot's test renderer, its history from RightTouch's card route, drawn with stand-ins — and
 * a component or prop the stand-ins do not know fails it. The screenshot (into SCREENSHOTS, see
 * harness.ts) needs Chromium: skipped without it, except in CI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CARD_FILE, renderCardPreview, screenshotCard } from '../../scripts/card-preview.ts';
import { CHROMIUM, SCREENSHOTS } from './harness.ts';

const runScreenshot = existsSync(CHROMIUM) || process.env['CI'] === 'true';
const card = readFileSync(CARD_FILE, 'utf8');

/** The card's source with one piece replaced (which must be there). */
function edited(from: string, to: string): string {
  expect(card).toContain(from);
  return card.replace(from, to);
}

describe('the record card preview', () => {
  it('draws the tier, its reason, the next-tier hint and the recent changes from the card route', async () => {
    const { body, page } = await renderCardPreview();
    // The properties a sync writes for the preview's company under the default policy.
    expect(body).toMatch(/<span class="hs-tag" style="background:#e5f8f6;[^"]*">Mid-touch<\/span>/);
    expect(body).toContain('<p class="hs-text" style="font-weight:400">Deal size 62,000 ≥ 25,000 → Mid-touch</p>');
    expect(body).toContain(
      'font-style:italic">Next tier: Deal size 62,000 is 38,000 short of High-touch (≥ 100,000)</p>',
    );
    // The history, newest first, as the card route answered it, in the policy's tier labels.
    const changes = [...body.matchAll(/>([^<>]*: (?:none|[A-Z][\w-]*) → [A-Z][\w-]*)</g)].map((m) => m[1]);
    expect(changes).toEqual([
      `${new Date('2026-11-18T06:00:00Z').toLocaleDateString()}: Low-touch → Mid-touch`,
      `${new Date(Date.parse('2026-11-18T06:00:00Z') - 75 * 86_400_000).toLocaleDateString()}: none → Low-touch`,
    ]);
    expect(body).not.toContain('unavailable');
    expect(page).toContain('<div class="hs-card-title">Engagement model</div>');
  });

  it('is the real card component: a change to its text shows in the preview', async () => {
    const { body } = await renderCardPreview(edited('>Recent changes<', '>Latest tier moves<'));
    expect(body).toContain('>Latest tier moves</p>');
    expect(body).not.toContain('Recent changes');
  });

  it('fails on a component or a prop the stand-ins do not know', async () => {
    const withAlert = edited('import { Divider,', 'import { Alert, Divider,').replace(
      '<Divider />',
      '<Alert title="Heads up">x</Alert>',
    );
    await expect(renderCardPreview(withAlert)).rejects.toThrow('<Alert> has no stand-in');
    await expect(renderCardPreview(edited('<Divider />', '<Divider distance="large" />'))).rejects.toThrow(
      '<Divider> prop distance has no stand-in',
    );
    await expect(renderCardPreview(edited('variant="success"', 'variant="danger"'))).rejects.toThrow(
      '<Tag variant="danger"> has no stand-in',
    );
  });

  it.skipIf(!runScreenshot)('is screenshotted with Chromium into hubspot-card.png', async () => {
    const file = join(SCREENSHOTS, 'hubspot-card.png');
    await screenshotCard(await renderCardPreview(), file, CHROMIUM);
    const png = readFileSync(file);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // The card alone at twice the CSS size: 340 px wide plus its border.
    expect(png.readUInt32BE(16)).toBe(684);
    expect(png.readUInt32BE(20)).toBeGreaterThan(300);
  });
});
