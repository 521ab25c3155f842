/**
 * Hand edits end to end with the command line (`righttouch setup/sync/history` in child
 * processes), against the sandbox HubSpot portal and the fake Salesforce org: a person's tier,
 * edited in the CRM's UI, is kept as the override with who and when by a sync whose policy says
 * `"manualEdits": "keepAsOverride"`, and `history` shows it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Policy } from '../../src/core/index.ts';
import { generatePortal } from '../../sandbox/hubspot/generate.ts';
import { SANDBOX_USERS } from '../../sandbox/hubspot/history.ts';
import { createSandbox } from '../../sandbox/hubspot/server.ts';
import { editByHand } from '../../sandbox/salesforce/field-history.ts';
import { generateOrg } from '../../sandbox/salesforce/generate.ts';
import { createSalesforceSandbox } from '../../sandbox/salesforce/server.ts';
import { readJson, repoRoot } from '../helpers.ts';
import { runCli, tempDir } from './helpers.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** The default policy with hand edits kept, as a file for `--policy`. */
function keepPolicy(dir: string): string {
  const policy = { ...(readJson(join(repoRoot, 'policies', 'default.json')) as Policy), manualEdits: 'keepAsOverride' };
  const file = join(dir, 'keep.json');
  writeFileSync(file, JSON.stringify(policy));
  return file;
}

const other = (tier: unknown): string => (tier === 'high_touch' ? 'low_touch' : 'high_touch');
const LABELS: Record<string, string> = { high_touch: 'High-touch', low_touch: 'Low-touch' };

describe('hand edits, end to end', () => {
  test('HubSpot: a UI edit (POST /sandbox/v1/ui-edits) is kept as the override', { timeout: 240_000 }, async () => {
    const portal = generatePortal({ seed: 23, companies: 40, contacts: 80, deals: 60 });
    const sandbox = createSandbox({ portal, token: 'pat-hand', limits: false });
    const running = await sandbox.listen(0);
    closers.push(() => running.close());
    const dir = tempDir();
    const args = ['--crm', 'hubspot', '--data', join(dir, 'rt.db')];
    const env = { HUBSPOT_ACCESS_TOKEN: 'pat-hand', HUBSPOT_BASE_URL: running.url };
    const cli = async (...command: string[]) => {
      const result = await runCli([...command, ...args], env);
      expect(result.code, result.stderr).toBe(0);
      return result;
    };
    await cli('setup');
    await cli('sync');
    const id = String(portal.objects.companies.order[3]);
    const props = portal.objects.companies.records.get(id)?.properties ?? {};
    const chosen = other(props['engagement_model']);
    const user = SANDBOX_USERS[2];
    const edit = await fetch(`${running.url}/sandbox/v1/ui-edits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        objectType: 'companies',
        objectId: id,
        property: 'engagement_model',
        value: chosen,
        userId: user?.userId,
      }),
    });
    expect(edit.status).toBe(204);
    await cli('sync', '--policy', keepPolicy(dir));
    const day = new Date().toISOString().slice(0, 10);
    const reason = `Set by hand by ${user?.firstName} ${user?.lastName} on ${day} → ${LABELS[chosen]}`;
    expect([props['engagement_model'], props['engagement_model_override'], props['engagement_model_reason']]).toEqual([
      chosen,
      chosen,
      reason,
    ]);
    expect((await cli('history', '--id', id)).stdout).toContain(reason);
  });

  test('Salesforce: a user’s edit (field history) is kept as the override', { timeout: 240_000 }, async () => {
    const org = generateOrg({ seed: 23, accounts: 30 });
    const sandbox = createSalesforceSandbox({ org });
    const running = await sandbox.listen();
    closers.push(() => running.close());
    const dir = tempDir();
    const args = ['--crm', 'salesforce', '--data', join(dir, 'rt.db')];
    const env = {
      SF_INSTANCE_URL: running.url,
      SF_LOGIN_URL: running.url,
      SF_ACCESS_TOKEN: sandbox.tokens.issue().accessToken,
      RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 5).toString('base64'),
    };
    const cli = async (...command: string[]) => {
      const result = await runCli([...command, ...args], env);
      expect(result.code, result.stderr).toBe(0);
      return result;
    };
    expect((await cli('setup')).stdout).toContain('tracking the history of Account.Engagement_Model__c');
    await cli('sync');
    const record = [...org.store('Account').values()].find((r) => r.deletedAt === null);
    const id = String(record?.values['Id']);
    const chosen = other(record?.values['Engagement_Model__c']);
    const sam = [...org.store('User').values()].find((u) => u.values['Name'] === 'Sam Sales');
    editByHand(org, 'Account', id, {
      field: 'Engagement_Model__c',
      value: chosen,
      userId: String(sam?.values['Id']),
      at: Date.now(),
    });
    await cli('sync', '--policy', keepPolicy(dir));
    const reason = `Set by hand by Sam Sales on ${new Date().toISOString().slice(0, 10)} → ${LABELS[chosen]}`;
    expect([
      record?.values['Engagement_Model__c'],
      record?.values['Engagement_Model_Override__c'],
      record?.values['Engagement_Model_Reason__c'],
    ]).toEqual([chosen, chosen, reason]);
  });
});
