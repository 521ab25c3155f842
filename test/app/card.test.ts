/** The generated record card: type-checked against the real `@hubspot/ui-extensions` package, and
 * rendered with the package's own test renderer, its history fetched through a double of
 * HubSpot's signing `hubspot.fetch` proxy from a running RightTouch server. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createElement } from 'react';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Text, type CrmContext } from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { CARD_COMPONENT, cardTsconfig, UI_EXTENSIONS_VERSION } from '../../connectors/hubspot/project/card-source.ts';
import { hubspotProjectFiles, loadManifest } from '../../connectors/hubspot/project/manifest.ts';
import { EXAMPLE_BASE_URL } from '../../src/cli/hubspot-project-command.ts';
import { cardFetchDouble } from '../../sandbox/hubspot/card-fetch.ts';
import { startServer, type Harness } from '../server/harness.ts';
import { repoRoot } from '../helpers.ts';

/** The committed card is generated for this address. */
const PUBLIC = EXAMPLE_BASE_URL;
const cardsDir = join(repoRoot, 'hubspot-project', 'src', 'app', 'cards');
const manifest = await loadManifest(join(repoRoot, 'app.json'));
const generated = hubspotProjectFiles(manifest, PUBLIC)[`src/app/cards/${CARD_COMPONENT}`] ?? '';

/** Type errors of a card source compiled in the cards folder with the generated tsconfig. */
let previous: ts.Program | undefined;
function typeErrors(source: string): string[] {
  const { options } = ts.parseJsonConfigFileContent(cardTsconfig, ts.sys, cardsDir);
  const file = join(cardsDir, CARD_COMPONENT);
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  const program = ts.createProgram([file], options, host, previous);
  previous = program;
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('the record card’s source', () => {
  it(
    'compiles against the real @hubspot/ui-extensions, the version its package.json names',
    { timeout: 120_000 },
    () => {
      expect(typeErrors(generated)).toEqual([]);
      const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
        devDependencies: Record<string, string>;
      };
      expect(root.devDependencies['@hubspot/ui-extensions']).toBe(UI_EXTENSIONS_VERSION);
      const card = JSON.parse(readFileSync(join(cardsDir, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      };
      expect(card.dependencies['@hubspot/ui-extensions']).toBe(UI_EXTENSIONS_VERSION);
    },
  );

  it('fails on a prop, a hook or a context field the package does not have', { timeout: 120_000 }, () => {
    const variants: [string, string, RegExp][] = [
      ['variant="success"', 'variant="loud"', /"loud"/],
      ['useCrmProperties }', 'useCrmPropertyValues }', /useCrmPropertyValues/],
      ['context.portal.id', 'context.portal.portalId', /portalId/],
    ];
    let broken = generated;
    for (const [from, to] of variants) {
      expect(broken).toContain(from);
      broken = broken.replace(from, to);
    }
    const errors = typeErrors(broken);
    for (const [, , error] of variants)
      expect(
        errors.some((e) => error.test(e)),
        String(error),
      ).toBe(true);
  });
});

describe('the record card, rendered', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startServer({ HUBSPOT_CLIENT_ID: 'cid', HUBSPOT_CLIENT_SECRET: 'card-secret', PUBLIC_BASE_URL: PUBLIC });
    const a = await h.store.upsertInstallation('hubspot', '111');
    const b = await h.store.upsertInstallation('hubspot', '222');
    // Portal 111's policy names its tiers; the card shows those labels, not the values.
    await h.store.savePolicy(a.id, {
      version: 1,
      tiers: [
        { value: 'low_touch', label: 'Low-touch' },
        { value: 'mid_touch', label: 'Mid-touch' },
        { value: 'high_touch', label: 'High-touch' },
      ],
    });
    await h.store.applyTierChanges(a.id, 'r1', [{ type: 'company', id: '9', tier: 'mid_touch', reasons: ['A'] }], 1);
    await h.store.applyTierChanges(b.id, 'r2', [{ type: 'company', id: '9', tier: 'high_touch', reasons: ['B'] }], 1);
  });
  afterEach(async () => {
    await h.close();
    Reflect.deleteProperty(globalThis, 'self');
  });

  for (const appendMetadata of [false, true]) {
    it(`asks for the portal in its context and shows that portal’s history (HubSpot ${appendMetadata ? 'also appends' : 'does not append'} portalId)`, async () => {
      const double = cardFetchDouble({
        clientSecret: 'card-secret',
        permittedUrls: [PUBLIC],
        portalId: 111,
        userId: 5,
        userEmail: 'csm@example.com',
        appendMetadata,
        deliver: (url) => url.replace(PUBLIC, h.url),
      });
      // `hubspot.fetch` calls the worker's `self.hsFetch` (@hubspot/ui-extensions dist/hubspot.js).
      Object.assign(globalThis, { self: { hsFetch: double.fetch } });
      // The card is the committed file (equal to the generated one: test/app/manifest.test.ts).
      const cardPath = join(cardsDir, CARD_COMPONENT);
      const card = (await import(cardPath)) as {
        EngagementModelCard: (props: { context: CrmContext }) => unknown;
      };
      const renderer = createRenderer('crm.record.sidebar');
      const context: CrmContext = {
        ...renderer.mocks.context,
        portal: { id: 111, timezone: 'Europe/Berlin' },
        crm: { objectId: 9, objectTypeId: '0-2' },
      };
      renderer.render(createElement(card.EngagementModelCard as never, { context }));
      await renderer.waitFor(() => {
        expect(
          renderer
            .findAll(Text)
            .map((t) => t.text)
            .join('\n'),
        ).toContain('none → Mid-touch');
      });
      // The next-tier hint property, read with the others (the test renderer fills each with a value).
      expect(
        renderer
          .findAll(Text)
          .map((t) => t.text)
          .join('\n'),
      ).toMatch(/Next tier: \S/);
      expect(double.calls).toHaveLength(1);
      const called = new URL(double.calls[0]?.publicUrl ?? '');
      expect(`${called.origin}${called.pathname}`).toBe(`${PUBLIC}/card/hubspot/history`);
      expect(called.searchParams.getAll('portalId')).toEqual(appendMetadata ? ['111', '111'] : ['111']);
      expect(called.searchParams.get('type')).toBe('company');
      expect(called.searchParams.get('id')).toBe('9');
      expect(double.calls[0]?.status).toBe(200);
    });
  }
});
