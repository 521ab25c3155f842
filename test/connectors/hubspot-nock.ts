/** The HubSpot connector against nock: a connector on a fake base URL with fast limiters, recording its waits and warnings. */
import nock from 'nock';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import type { HubSpotLimits } from '../../connectors/hubspot/index.ts';
import type { Connector } from '../../src/sync/connector.ts';

export const BASE = 'https://api.hubapi.test';
export const TOKEN = 'test-token';
export const TIME = '2026-01-01T00:00:00.000Z';
/** Fast limiters (1 ms between calls) with HubSpot's real 10-s window, so waits are what production would ask. */
export const FAST: HubSpotLimits = { requestsPerWindow: 10_000, searchPerSecond: 1000 };

export interface Harness {
  readonly connector: Connector;
  /** Every wait the connector asked for, in ms. */
  readonly sleeps: number[];
  readonly warnings: string[];
}

export function harness(limits: HubSpotLimits = {}): Harness {
  const sleeps: number[] = [];
  const warnings: string[] = [];
  const connector = createHubSpotConnector({
    accessToken: TOKEN,
    baseUrl: BASE,
    limits: { ...FAST, ...limits },
    logger: { info: () => undefined, warn: (message) => warnings.push(message) },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  return { connector, sleeps, warnings };
}

/** An interceptor scope that also checks the bearer token. */
export function api(): nock.Scope {
  return nock(BASE).matchHeader('authorization', `Bearer ${TOKEN}`);
}
