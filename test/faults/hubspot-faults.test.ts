/**
 * Staying correct under faults: the sandbox injects 10% 429s, 500s, timeouts and slow answers
 * into every API call; the sync still completes, leaves the CRM exactly as a clean run does, and
 * a second run writes nothing. RightTouch's own share of rate-limit refusals stays under 1% of
 * its requests, and its error rate (answers it caused to fail) under HubSpot's 5%.
 * Waits between retries are skipped (injected sleep) so the test is quick; the limits are
 * HubSpot's scaled up 10× on both sides.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { runSetup, runSync, type CrmIo } from '../../src/cli/sync-commands.ts';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import type { Portal } from '../../sandbox/hubspot/model.ts';
import { createSandbox, type RunningSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/hubspot/server.ts';
import { crmTiers, tempDir } from '../e2e/helpers.ts';

const NOW = Date.now();
const sink = { write: () => true } as unknown as CrmIo['stdout'];
const open: RunningSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

async function world(
  options: Partial<SandboxOptions>,
): Promise<{ portal: Portal; sandbox: Sandbox; io: CrmIo; data: string }> {
  const portal = generatePortal({ seed: 77, companies: 600, contacts: 2400, deals: 900, now: NOW });
  const sandbox = createSandbox({
    portal,
    token: 'T',
    limits: { perWindow: 1100, windowMs: 10_000, searchPerSecond: 50 },
    ...options,
  });
  const running = await sandbox.listen(0);
  open.push(running);
  const connector = createHubSpotConnector({
    accessToken: 'T',
    baseUrl: running.url,
    limits: {
      requestsPerWindow: 1000,
      windowMs: 10_000,
      searchPerSecond: 45,
      requestTimeoutMs: 400,
      retries: 6,
      rateLimitRetries: 8,
    },
    sleep: () => Promise.resolve(),
  });
  return {
    portal,
    sandbox,
    io: { stdout: sink, env: {}, connectorFor: () => connector },
    data: join(tempDir(), 'r.db'),
  };
}

describe('HubSpot sync under injected faults', () => {
  test('completes, matches a clean run exactly, and a second run writes nothing', async () => {
    const faulty = await world({
      faults: { rate: 0.1, kinds: ['429', '500', 'timeout', 'slow'], seed: 5, slowMs: 150, timeoutMs: 600 },
    });
    await runSetup({ crm: 'hubspot', data: faulty.data }, faulty.io);
    const first = await runSync({ crm: 'hubspot', data: faulty.data }, faulty.io);
    expect(first.rejected).toEqual([]);
    const second = await runSync({ crm: 'hubspot', data: faulty.data }, faulty.io);
    expect(second).toMatchObject({ changed: 0, written: 0 });

    const clean = await world({});
    await runSetup({ crm: 'hubspot', data: clean.data }, clean.io);
    await runSync({ crm: 'hubspot', data: clean.data }, clean.io);
    expect([...crmTiers(faulty.portal)]).toEqual([...crmTiers(clean.portal)]);

    const stats = faulty.sandbox.stats;
    const injected = stats.faults['429'] + stats.faults['500'] + stats.faults.timeout;
    expect(injected).toBeGreaterThan(5); // the faults really happened
    const ourLimitRefusals = stats.rateLimited.tenSecondly + stats.rateLimited.secondly;
    expect(ourLimitRefusals / stats.requests).toBeLessThan(0.01);
    const failedAnswers = Object.entries(stats.byStatus)
      .filter(([status]) => Number(status) >= 400)
      .reduce((sum, [, count]) => sum + count, 0);
    // Failures RightTouch caused: every failed answer that was not injected.
    const caused = failedAnswers - stats.faults['429'] - stats.faults['500'];
    expect(caused / stats.requests).toBeLessThan(0.05);
  }, 120_000);
});
