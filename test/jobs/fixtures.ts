/** Shared by the jobs tests and their worker processes: a seeded fake CRM that can be slowed or held. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Policy } from '../../src/core/index.ts';
import { validateMapping } from '../../src/mapping/mapping.ts';
import type { CrmObject, Mapping } from '../../src/mapping/mapping.ts';
import type { CrmDeal, ReadOptions } from '../../src/sync/connector.ts';
import { FakeCrm } from '../sync/fake-connector.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const policy = JSON.parse(readFileSync(join(root, 'examples', 'policy.json'), 'utf8')) as Policy;

const checked = validateMapping(JSON.parse(readFileSync(join(root, 'mappings', 'hubspot.json'), 'utf8')));
if (!checked.ok) throw new Error('invalid mapping mappings/hubspot.json');
export const mapping: Mapping = checked.mapping;

/** A fresh SQLite file in a temporary folder. */
export function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'righttouch-jobs-')), 'righttouch.db');
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * The fake CRM of the engine tests with four companies, three contacts and five deals (7 pages to
 * read), that can sleep before every page and await `beforePage` (to hold a run mid-read).
 */
export class TestCrm extends FakeCrm {
  readDelayMs = 0;
  beforePage: (() => Promise<void>) | undefined;

  constructor(now: () => number) {
    super(now);
    const won = (amount: string) => ({
      amount,
      hs_is_closed_won: 'true',
      hs_is_closed: 'true',
      closedate: '2026-06-01T00:00:00Z',
    });
    this.put('companies', 'big', { support_plan: '' });
    this.put('companies', 'mid', { prefers_digital: 'false' });
    this.put('companies', 'digital', { prefers_digital: 'true' });
    this.put('companies', 'small', {});
    this.putDeal('d1', 'big', won('150,000'));
    this.putDeal('d2', 'mid', won('30000'));
    this.putDeal('d3', 'digital', won('$500,000'));
    this.putDeal('d4', 'small', { ...won('100'), closedate: '2024-01-01T00:00:00Z' });
    this.putDeal('d5', null, won('999999'));
    this.put('contacts', 'c-big', { associatedcompanyid: 'big', hubspotscore: '10' });
    this.put('contacts', 'c-hot', { associatedcompanyid: 'small', hubspotscore: '80' });
    this.put('contacts', 'c-none', { hubspotscore: '' });
  }

  private async pause(): Promise<void> {
    if (this.readDelayMs > 0) await sleep(this.readDelayMs);
    await this.beforePage?.();
  }

  override async *read(type: 'companies' | 'contacts', options: ReadOptions): AsyncIterable<CrmObject[]> {
    for await (const page of super.read(type, options)) {
      await this.pause();
      yield page;
    }
  }

  override async *readDeals(options: ReadOptions): AsyncIterable<CrmDeal[]> {
    for await (const page of super.readDeals(options)) {
      await this.pause();
      yield page;
    }
  }
}

/** A gate a test opens by hand: `reached` resolves when a run waits at it. */
export function gate(): { wait: () => Promise<void>; open: () => void; reached: Promise<void> } {
  let open = (): void => undefined;
  let reach = (): void => undefined;
  const opened = new Promise<void>((done) => (open = done));
  const reached = new Promise<void>((done) => (reach = done));
  return {
    wait: () => {
      reach();
      return opened;
    },
    open: () => {
      open();
    },
    reached,
  };
}
