/**
 * `app.json`, the app's manifest, and the HubSpot developer project generated from it
 * (`hubspot-project/`: platform 2026.03 `hsproject.json`, `app-hsmeta.json`,
 * `webhooks-hsmeta.json`, and the record card, `card-source.ts`). `righttouch hubspot-project` writes the files;
 * a test keeps the committed ones equal to what the manifest gives, and the scopes equal to the
 * ones the code asks for.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CARD_COMPONENT, cardPackageJson, cardSource, cardTsconfig } from './card-source.ts';

const webhookObject = z.strictObject({
  events: z.array(z.enum(['creation', 'deletion', 'merge', 'restore', 'associationChange'])),
  properties: z.array(z.string().min(1)),
});

export const manifestSchema = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().min(1).max(8192),
  support: z.strictObject({ email: z.email(), documentationUrl: z.url(), supportUrl: z.url() }),
  server: z.strictObject({
    publicBaseUrlVariable: z.string(),
    redirectPaths: z.strictObject({ hubspot: z.string().startsWith('/'), salesforce: z.string().startsWith('/') }),
    webhookPaths: z.strictObject({ hubspot: z.string().startsWith('/') }),
  }),
  hubspot: z.strictObject({
    uid: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    platformVersion: z.string(),
    distribution: z.enum(['marketplace', 'private']),
    requiredScopes: z.array(z.string()),
    optionalScopes: z.array(z.string()),
    webhooks: z.strictObject({
      maxConcurrentRequests: z.int().min(5),
      deal: webhookObject,
      company: webhookObject,
      contact: webhookObject,
    }),
    card: z.strictObject({
      uid: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
      name: z.string(),
      description: z.string(),
      location: z.enum(['crm.record.tab', 'crm.record.sidebar', 'crm.preview']),
      objectTypes: z.array(z.enum(['companies', 'contacts'])),
      historyPath: z.string().startsWith('/'),
    }),
  }),
  salesforce: z.strictObject({
    appType: z.string(),
    scopes: z.array(z.string()),
    pkce: z.boolean(),
    refreshTokenRotation: z.boolean(),
    callOptionsClient: z.string(),
    permissionSets: z.array(z.string()),
  }),
});

export type Manifest = z.infer<typeof manifestSchema>;

export async function loadManifest(path = 'app.json'): Promise<Manifest> {
  return manifestSchema.parse(JSON.parse(await readFile(path, 'utf8')));
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The HubSpot developer project's files (path → content) for a public server address. */
export function hubspotProjectFiles(manifest: Manifest, publicBaseUrl: string): Record<string, string> {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const { hubspot } = manifest;
  const legacyCrmObjects: { subscriptionType: string; propertyName?: string; active: boolean }[] = [];
  for (const object of ['deal', 'company', 'contact'] as const) {
    for (const event of hubspot.webhooks[object].events) {
      legacyCrmObjects.push({ subscriptionType: `${object}.${event}`, active: true });
    }
    for (const property of hubspot.webhooks[object].properties) {
      legacyCrmObjects.push({ subscriptionType: `${object}.propertyChange`, propertyName: property, active: true });
    }
  }
  return {
    'hsproject.json': json({ name: manifest.name, srcDir: 'src', platformVersion: hubspot.platformVersion }),
    'src/app/app-hsmeta.json': json({
      uid: hubspot.uid,
      type: 'app',
      config: {
        name: manifest.name,
        description: manifest.description,
        distribution: hubspot.distribution,
        auth: {
          type: 'oauth',
          redirectUrls: [`${base}${manifest.server.redirectPaths.hubspot}`],
          requiredScopes: hubspot.requiredScopes,
          optionalScopes: hubspot.optionalScopes,
          conditionallyRequiredScopes: [],
        },
        permittedUrls: { fetch: [base], iframe: [], img: [] },
        support: {
          supportEmail: manifest.support.email,
          documentationUrl: manifest.support.documentationUrl,
          supportUrl: manifest.support.supportUrl,
        },
      },
    }),
    'src/app/webhooks/webhooks-hsmeta.json': json({
      uid: `${hubspot.uid}_webhooks`,
      type: 'webhooks',
      config: {
        settings: {
          targetUrl: `${base}${manifest.server.webhookPaths.hubspot}`,
          maxConcurrentRequests: hubspot.webhooks.maxConcurrentRequests,
        },
        subscriptions: { legacyCrmObjects },
      },
    }),
    [`src/app/cards/${hubspot.card.uid}-hsmeta.json`]: json({
      uid: hubspot.card.uid,
      type: 'card',
      config: {
        name: hubspot.card.name,
        description: hubspot.card.description,
        location: hubspot.card.location,
        entrypoint: `/app/cards/${CARD_COMPONENT}`,
        objectTypes: hubspot.card.objectTypes,
      },
    }),
    'src/app/cards/package.json': json(cardPackageJson(hubspot.uid)),
    'src/app/cards/tsconfig.json': json(cardTsconfig),
    [`src/app/cards/${CARD_COMPONENT}`]: cardSource(`${base}${hubspot.card.historyPath}`),
  };
}
