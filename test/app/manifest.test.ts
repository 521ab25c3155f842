/** app.json against the code: scopes asked for = scopes declared (and each one used), webhook
 * subscriptions = the mapped input properties, paths = the server's routes, and the committed
 * HubSpot developer project = what app.json generates. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  hubspotProjectFiles,
  loadManifest,
  manifestSchema,
  WEBHOOKS_FILE,
  type Manifest,
} from '../../connectors/hubspot/project/manifest.ts';
import { EXAMPLE_BASE_URL, runHubSpotProject } from '../../src/cli/hubspot-project-command.ts';
import { HUBSPOT_SCOPES, SALESFORCE_SCOPES, serverConfigFromEnv } from '../../src/app/config.ts';
import { SALESFORCE_CALLBACK_PATH } from '../../connectors/salesforce/install.ts';
import { hubspotRedirectUri } from '../../connectors/hubspot/oauth.ts';
import { HUBSPOT_WEBHOOK_PATH } from '../../src/server/routes/webhooks-hubspot.ts';
import { readJson, repoRoot } from '../helpers.ts';

const manifest = await loadManifest(join(repoRoot, 'app.json'));
const source = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');

/** Where each HubSpot scope is needed: a file and what in it needs the scope. */
const SCOPE_USES: Record<string, [string, RegExp]> = {
  oauth: ['connectors/hubspot/oauth.ts', /oauth\/2026-03\/token/],
  'crm.objects.companies.read': ['connectors/hubspot/read.ts', /companies/],
  'crm.objects.companies.write': ['src/sync/phases/write-back.ts', /connector\.update\(type/],
  'crm.objects.contacts.read': ['connectors/hubspot/read.ts', /contacts/],
  'crm.objects.contacts.write': ['src/sync/phases/write-back.ts', /connector\.update\(type/],
  'crm.objects.deals.read': ['connectors/hubspot/deals.ts', /deals/],
  'crm.schemas.companies.write': ['connectors/hubspot/setup.ts', /groupsApi\.create|coreApi\.create/],
  'crm.schemas.contacts.write': ['connectors/hubspot/setup.ts', /groupsApi\.create|coreApi\.create/],
  'crm.objects.owners.read': ['connectors/hubspot/tier-history.ts', /ownersApi\.getById/],
  'crm.lists.read': ['connectors/hubspot/lists.ts', /listsApi\.getById|listsApi\.getByName/],
  'crm.lists.write': ['connectors/hubspot/lists.ts', /listsApi\.create|listsApi\.updateName/],
};

describe('app.json', () => {
  it('declares exactly the HubSpot and Salesforce scopes the code requests, and each is used', () => {
    const declared = [...manifest.hubspot.requiredScopes, ...manifest.hubspot.optionalScopes].sort();
    expect(declared).toEqual([...HUBSPOT_SCOPES].sort());
    for (const scope of declared) {
      const use = SCOPE_USES[scope];
      expect(use, `no known use of ${scope}`).toBeDefined();
      if (use !== undefined) expect(source(use[0]), `${scope} in ${use[0]}`).toMatch(use[1]);
    }
    expect([...manifest.salesforce.scopes].sort()).toEqual([...SALESFORCE_SCOPES].sort());
    expect(serverConfigFromEnv({}).hubspot.scopes).toEqual(HUBSPOT_SCOPES);
  });

  it('subscribes to every mapped input property and to none of the properties RightTouch writes', () => {
    type Spec = { property: string | { discover: string } };
    const mapping = readJson(join(repoRoot, 'mappings', 'hubspot.json')) as {
      company: { fields: Record<string, Spec>; override: string };
      contact: { fields: Record<string, Spec>; companyId: string; override: string };
      deal: Record<string, string>;
    };
    const named = (fields: Record<string, Spec>): string[] =>
      Object.values(fields).flatMap((f) => (typeof f.property === 'string' ? [f.property] : []));
    const { webhooks } = manifest.hubspot;
    const company = [...named(mapping.company.fields), mapping.company.override];
    // The lead score is discovered per portal: no app-wide subscription can name it (its changes
    // come with the scheduled incremental run). The frozen hubspotscore stays subscribed: it
    // never fires, and a deployed subscription is not removed by leaving it out (fidelity row 8).
    expect(mapping.contact.fields['leadScore']?.property).toEqual({ discover: 'lead-score' });
    const contact = [
      named(mapping.contact.fields),
      mapping.contact.companyId,
      mapping.contact.override,
      'hubspotscore',
    ].flat();
    expect([...webhooks.company.properties].sort()).toEqual(company.sort());
    expect([...webhooks.contact.properties].sort()).toEqual(contact.sort());
    for (const property of Object.values(mapping.deal)) expect(webhooks.deal.properties).toContain(property);
    expect(webhooks.deal.properties).toContain('dealstage');
    const all = [...webhooks.company.properties, ...webhooks.contact.properties, ...webhooks.deal.properties];
    for (const ours of [
      'engagement_model',
      'engagement_model_reason',
      'engagement_model_next',
      'engagement_model_updated_at',
    ]) {
      expect(all).not.toContain(ours);
    }
    for (const object of ['deal', 'company', 'contact'] as const) {
      expect(webhooks[object].events).toEqual(expect.arrayContaining(['creation', 'deletion', 'merge']));
    }
  });

  it('names the server’s own redirect and webhook paths', () => {
    const config = serverConfigFromEnv({ PUBLIC_BASE_URL: 'https://rt.example.com' });
    expect(`https://rt.example.com${manifest.server.redirectPaths.hubspot}`).toBe(hubspotRedirectUri(config));
    expect(manifest.server.redirectPaths.salesforce).toBe(SALESFORCE_CALLBACK_PATH);
    expect(manifest.server.webhookPaths.hubspot).toBe(HUBSPOT_WEBHOOK_PATH);
  });

  it('keeps the committed HubSpot developer project current, with the app’s scopes, webhooks and card', async () => {
    const out: string[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _e, done) {
        out.push(chunk.toString());
        done();
      },
    });
    const current = await runHubSpotProject(
      {
        out: join(repoRoot, 'hubspot-project'),
        baseUrl: EXAMPLE_BASE_URL,
        check: true,
        manifest: join(repoRoot, 'app.json'),
      },
      { stdout, env: {} },
    );
    expect(current, out.join('')).toBe(true);
    const files = hubspotProjectFiles(manifest, 'https://rt.example.com/');
    const app = JSON.parse(files['src/app/app-hsmeta.json'] ?? '{}') as {
      config: { auth: { requiredScopes: string[]; redirectUrls: string[] }; permittedUrls: { fetch: string[] } };
    };
    expect(app.config.auth.requiredScopes).toEqual(manifest.hubspot.requiredScopes);
    expect(app.config.auth.redirectUrls).toEqual(['https://rt.example.com/oauth/hubspot/callback']);
    expect(app.config.permittedUrls.fetch).toEqual(['https://rt.example.com']);
    const hooks = JSON.parse(files['src/app/webhooks/webhooks-hsmeta.json'] ?? '{}') as {
      config: {
        settings: { targetUrl: string };
        subscriptions: { legacyCrmObjects: { subscriptionType: string; propertyName?: string }[] };
      };
    };
    expect(hooks.config.settings.targetUrl).toBe('https://rt.example.com/webhooks/hubspot');
    expect(hooks.config.subscriptions.legacyCrmObjects).toContainEqual({
      subscriptionType: 'deal.propertyChange',
      propertyName: 'amount',
      active: true,
    });
    expect(files['src/app/cards/EngagementModelCard.tsx']).toContain('https://rt.example.com/card/hubspot/history');
    expect(JSON.parse(source('hubspot-project/hsproject.json'))).toEqual({
      name: 'RightTouch',
      srcDir: 'src',
      platformVersion: '2026.03',
    });
  });
});

/** Webhook subscriptions of a generated project, as `type[ property]` → active. */
function subscriptionsOf(m: Manifest): Map<string, boolean> {
  const file = JSON.parse(hubspotProjectFiles(m, 'https://rt.example.com')[WEBHOOKS_FILE] ?? '{}') as {
    config: { subscriptions: Record<string, { subscriptionType: string; propertyName?: string; active: boolean }[]> };
  };
  const all = Object.values(file.config.subscriptions).flat();
  return new Map(all.map((s) => [[s.subscriptionType, s.propertyName].filter(Boolean).join(' '), s.active]));
}

/** app.json with the contact's `hubspotscore` subscription taken out, retired or just deleted. */
function withoutLeadScore(retire: boolean): Manifest {
  const raw = JSON.parse(source('app.json')) as {
    hubspot: { webhooks: { contact: { properties: string[] }; retired?: unknown[] } };
  };
  const { webhooks } = raw.hubspot;
  webhooks.contact.properties = webhooks.contact.properties.filter((p) => p !== 'hubspotscore');
  if (retire) webhooks.retired = [{ subscriptionType: 'contact.propertyChange', propertyName: 'hubspotscore' }];
  return manifestSchema.parse(raw);
}

const quiet = {
  stdout: new Writable({
    write: (_c, _e, done) => {
      done();
    },
  }),
  env: {},
};

describe('deploying changes to the HubSpot project', () => {
  it('subscribes to privacy deletions under hubEvents, as HubSpot’s 2026.03 webhooks template does', () => {
    // HubSpot/hubspot-project-components 2026.03/components/webhooks/src/app/webhooks/webhooks-hsmeta.json:
    // "hubEvents": [{ "subscriptionType": "contact.privacyDeletion", "active": … }]
    const file = JSON.parse(source(join('hubspot-project', WEBHOOKS_FILE))) as {
      config: { subscriptions: Record<string, { subscriptionType: string }[]> };
    };
    expect(file.config.subscriptions['hubEvents']).toEqual([
      { subscriptionType: 'contact.privacyDeletion', active: true },
    ]);
    expect(file.config.subscriptions['legacyCrmObjects']?.map((s) => s.subscriptionType)).not.toContain(
      'contact.privacyDeletion',
    );
  });

  it('writes a retired subscription with "active": false instead of leaving it out', () => {
    expect(subscriptionsOf(manifest).get('contact.propertyChange hubspotscore')).toBe(true);
    expect(subscriptionsOf(withoutLeadScore(true)).get('contact.propertyChange hubspotscore')).toBe(false);
    expect(subscriptionsOf(withoutLeadScore(false)).has('contact.propertyChange hubspotscore')).toBe(false);
  });

  it('refuses to write (or pass --check) a project that drops a subscription the current one lists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'righttouch-hsproject-'));
    const out = join(dir, 'hubspot-project');
    const write = async (m: Manifest, check = false): Promise<boolean> => {
      writeFileSync(join(dir, 'app.json'), JSON.stringify(m));
      return runHubSpotProject({ out, baseUrl: EXAMPLE_BASE_URL, check, manifest: join(dir, 'app.json') }, quiet);
    };
    await write(manifest);
    const deployed = readFileSync(join(out, WEBHOOKS_FILE), 'utf8');
    await expect(write(withoutLeadScore(false))).rejects.toThrow(/contact\.propertyChange hubspotscore.*retired/);
    expect(await write(withoutLeadScore(false), true)).toBe(false);
    expect(readFileSync(join(out, WEBHOOKS_FILE), 'utf8')).toBe(deployed);
    expect(await write(withoutLeadScore(true))).toBe(true);
    expect(readFileSync(join(out, WEBHOOKS_FILE), 'utf8')).toContain(
      '"propertyName": "hubspotscore",\n          "active": false',
    );
  });

  it('refuses a retired subscription that is still subscribed, or a property change without its property', () => {
    const retired = (entry: unknown): Manifest => {
      const raw = JSON.parse(source('app.json')) as { hubspot: { webhooks: { retired?: unknown[] } } };
      raw.hubspot.webhooks.retired = [entry];
      return manifestSchema.parse(raw);
    };
    expect(() =>
      subscriptionsOf(retired({ subscriptionType: 'contact.propertyChange', propertyName: 'hubspotscore' })),
    ).toThrow(/both subscribed and retired/);
    expect(() => retired({ subscriptionType: 'contact.propertyChange' })).toThrow(/propertyName/);
    expect(() => retired({ subscriptionType: 'contact.creation', propertyName: 'x' })).toThrow(/propertyName/);
  });
});
