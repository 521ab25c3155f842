/**
 * `app.json`, the app's manifest, and the HubSpot developer project generated from it
 * (`hubspot-project/`: platform 2026.03 `hsproject.json`, `app-hsmeta.json`,
 * `webhooks-hsmeta.json`, and the record card, `card-source.ts`). `righttouch hubspot-project` writes the files;
 * a test keeps the committed ones equal to what the manifest gives, and the scopes equal to the
 * ones the code asks for.
 *
 * Webhook subscriptions: the objects' events and properties go under `legacyCrmObjects`, app-wide
 * events (`contact.privacyDeletion`) under `hubEvents`, as in HubSpot's 2026.03 webhooks template.
 * A subscription taken out of use is listed under `hubspot.webhooks.retired` and written with
 * `"active": false` rather than left out: community reports say `hs project upload` refuses to
 * remove a deployed subscription and that deactivating it is the way (not confirmed by HubSpot's
 * docs, which only describe `active`; fidelity row 8). `righttouch hubspot-project` refuses to
 * write a webhooks file that drops a subscription the current one lists.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { CARD_COMPONENT, cardPackageJson, cardSource, cardTsconfig } from './card-source.ts';

const webhookObject = z.strictObject({
  events: z.array(z.enum(['creation', 'deletion', 'merge', 'restore', 'associationChange'])),
  properties: z.array(z.string().min(1)),
});

/** Subscription types the 2026.03 project puts under `hubEvents` rather than `legacyCrmObjects`
 * (HubSpot/hubspot-project-components `2026.03/components/webhooks/src/app/webhooks/webhooks-hsmeta.json`;
 * developers.hubspot.com …/add-features/configure-webhooks: "contact.privacyDeletion and conversation.*"). */
const HUB_EVENT = /^(contact\.privacyDeletion|conversation\.[A-Za-z]+)$/;

/** A subscription taken out of use: still written, with `"active": false`. */
const retiredSubscription = z
  .strictObject({
    subscriptionType: z
      .string()
      .regex(
        /^((deal|company|contact)\.(creation|deletion|merge|restore|associationChange|propertyChange)|contact\.privacyDeletion|conversation\.[A-Za-z]+)$/,
      ),
    propertyName: z.string().min(1).optional(),
  })
  .refine((s) => s.subscriptionType.endsWith('.propertyChange') === (s.propertyName !== undefined), {
    message: 'propertyName is required for a propertyChange subscription and only for one',
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
      /** App-wide events, e.g. `contact.privacyDeletion` (written under `hubEvents`). */
      hubEvents: z.array(z.string().regex(HUB_EVENT)).default([]),
      /** Subscriptions removed from use: HubSpot's upload keeps a deployed one, so it is sent inactive. */
      retired: z.array(retiredSubscription).default([]),
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

export const WEBHOOKS_FILE = 'src/app/webhooks/webhooks-hsmeta.json';

interface Subscription {
  subscriptionType: string;
  propertyName?: string;
  active: boolean;
}

const subscriptionKey = (s: { subscriptionType: string; propertyName?: string | undefined }): string =>
  s.propertyName === undefined ? s.subscriptionType : `${s.subscriptionType} ${s.propertyName}`;

/** The subscriptions app.json asks for, active, then the retired ones, inactive. */
function webhookSubscriptions(manifest: Manifest): { legacyCrmObjects: Subscription[]; hubEvents: Subscription[] } {
  const { webhooks } = manifest.hubspot;
  const legacyCrmObjects: Subscription[] = [];
  const hubEvents: Subscription[] = webhooks.hubEvents.map((subscriptionType) => ({ subscriptionType, active: true }));
  for (const object of ['deal', 'company', 'contact'] as const) {
    for (const event of webhooks[object].events) {
      legacyCrmObjects.push({ subscriptionType: `${object}.${event}`, active: true });
    }
    for (const property of webhooks[object].properties) {
      legacyCrmObjects.push({ subscriptionType: `${object}.propertyChange`, propertyName: property, active: true });
    }
  }
  const active = new Set([...legacyCrmObjects, ...hubEvents].map(subscriptionKey));
  for (const { subscriptionType, propertyName } of webhooks.retired) {
    const key = subscriptionKey({ subscriptionType, propertyName });
    if (active.has(key)) throw new Error(`app.json: ${key} is both subscribed and retired`);
    active.add(key);
    const entry: Subscription = {
      subscriptionType,
      ...(propertyName === undefined ? {} : { propertyName }),
      active: false,
    };
    (HUB_EVENT.test(subscriptionType) ? hubEvents : legacyCrmObjects).push(entry);
  }
  return { legacyCrmObjects, hubEvents };
}

/** Every subscription a generated `webhooks-hsmeta.json` lists, active or not (`type propertyName`). */
export function webhookSubscriptionKeys(content: string): string[] {
  const parsed = JSON.parse(content) as { config?: { subscriptions?: Record<string, unknown> } };
  const keys: string[] = [];
  for (const list of Object.values(parsed.config?.subscriptions ?? {})) {
    if (!Array.isArray(list)) continue;
    for (const item of list as { subscriptionType?: unknown; propertyName?: unknown; objectType?: unknown }[]) {
      if (typeof item.subscriptionType !== 'string') continue;
      const type =
        typeof item.objectType === 'string' ? `${item.subscriptionType}/${item.objectType}` : item.subscriptionType;
      keys.push(
        subscriptionKey({
          subscriptionType: type,
          propertyName: typeof item.propertyName === 'string' ? item.propertyName : undefined,
        }),
      );
    }
  }
  return keys;
}

export async function loadManifest(path = 'app.json'): Promise<Manifest> {
  return manifestSchema.parse(JSON.parse(await readFile(path, 'utf8')));
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The HubSpot developer project's files (path → content) for a public server address. */
export function hubspotProjectFiles(manifest: Manifest, publicBaseUrl: string): Record<string, string> {
  const base = publicBaseUrl.replace(/\/+$/, '');
  const { hubspot } = manifest;
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
    [WEBHOOKS_FILE]: json({
      uid: `${hubspot.uid}_webhooks`,
      type: 'webhooks',
      config: {
        settings: {
          targetUrl: `${base}${manifest.server.webhookPaths.hubspot}`,
          maxConcurrentRequests: hubspot.webhooks.maxConcurrentRequests,
        },
        subscriptions: Object.fromEntries(
          Object.entries(webhookSubscriptions(manifest)).filter(([, list]) => list.length > 0),
        ),
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
