/**
 * Batch updates HubSpot refuses, in the shape HubSpot sends (400 VALIDATION_ERROR, the details as
 * JSON inside `message`; reference/hubspot-api.md §1.3 and fidelity row 4), against nock with
 * body-matched interceptors: which records are rejected, what they report, and what it costs in
 * calls.
 */
import { describe, expect, it } from 'vitest';
import { api, harness, TIME } from './hubspot-nock.ts';
import { useNock } from '../nock.ts';

const PATH = '/crm/v3/objects/companies/batch/update';
const OPTIONS = '[tech_touch, low_touch, mid_touch, high_touch]';

type Properties = Record<string, string>;
// A type alias, not an interface, so nock accepts it as a body matcher.
type BatchBody = { inputs: { id: string; properties: Properties }[] };

/** A 200 batch update answer echoing the records sent. */
async function echo(request: Request): Promise<Record<string, unknown>> {
  const { inputs } = (await request.json()) as BatchBody;
  const results = inputs.map(({ id, properties }) => ({ id, properties, createdAt: TIME, updatedAt: TIME }));
  return { status: 'COMPLETE', results, startedAt: TIME, completedAt: TIME };
}

/** HubSpot's 400 for refused values: the entries as JSON inside `message` (as captured). */
function invalid(entries: readonly Record<string, unknown>[], cut?: number): Record<string, unknown> {
  const list = JSON.stringify(entries);
  return {
    status: 'error',
    message: `Property values were not valid: ${cut === undefined ? list : list.slice(0, cut)}`,
    correlationId: '2f4c8a53-0d9a-4f4e-9c1b-6d1e5a7b3c21',
    category: 'VALIDATION_ERROR',
  };
}

function badOption(value: string, name = 'engagement_model'): Record<string, unknown> {
  const message = `${value} was not one of the allowed options: ${OPTIONS}`;
  return { isValid: false, message, error: 'INVALID_OPTION', name };
}

function updates(ids: readonly string[], properties: (id: string) => Properties) {
  return ids.map((id) => ({ id, properties: properties(id) }));
}

function body(ids: readonly string[], properties: (id: string) => Properties): BatchBody {
  return { inputs: updates(ids, properties) };
}

const range = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => String(from + i));

useNock();

describe('a batch update HubSpot refuses with the details inside message', () => {
  it('rejects the one bad record of 100 and resends the other 99 in one call (2 calls, no bisection)', async () => {
    const ids = range(1, 101);
    const tier = (id: string): Properties => ({ engagement_model: id === '37' ? 'platinum_touch' : 'mid_touch' });
    const scope = api()
      .post(PATH, body(ids, tier))
      .reply(400, invalid([badOption('platinum_touch')]))
      .post(
        PATH,
        body(
          ids.filter((id) => id !== '37'),
          tier,
        ),
      )
      .reply(200, echo);
    const { connector: hubspot, warnings } = harness();
    const result = await hubspot.update('company', updates(ids, tier));
    expect(result.rejected).toEqual([
      {
        id: '37',
        error: `engagement_model: platinum_touch was not one of the allowed options: ${OPTIONS} (INVALID_OPTION)`,
      },
    ]);
    expect(result.written).toEqual(ids.filter((id) => id !== '37'));
    expect(hubspot.apiCalls).toBe(2);
    expect(warnings.join('\n')).toContain('refused 1 of 100 companies');
    scope.done();
  });

  it('rejects every record making a refused write at once: several values, a missing property', async () => {
    const ids = range(1, 11);
    const props = (id: string): Properties => ({
      engagement_model: id === '2' || id === '9' ? 'gold' : id === '5' ? 'silver' : 'low_touch',
      ...(id === '7' ? { no_such_prop: 'x' } : {}),
    });
    const missing = 'Property "no_such_prop" does not exist';
    const good = ids.filter((id) => !['2', '5', '7', '9'].includes(id));
    const scope = api()
      .post(PATH, body(ids, props))
      .reply(
        400,
        invalid([
          badOption('gold'),
          badOption('silver'),
          {
            isValid: false,
            message: missing,
            error: 'PROPERTY_DOESNT_EXIST',
            name: 'no_such_prop',
            localizedErrorMessage: missing,
            portalId: 3855728,
          },
          badOption('gold'),
        ]),
      )
      .post(PATH, body(good, props))
      .reply(200, echo);
    const { connector: hubspot } = harness();
    const result = await hubspot.update('company', updates(ids, props));
    expect(result.written).toEqual(good);
    expect(Object.fromEntries(result.rejected.map((r) => [r.id, r.error]))).toEqual({
      '2': `engagement_model: gold was not one of the allowed options: ${OPTIONS} (INVALID_OPTION)`,
      '5': `engagement_model: silver was not one of the allowed options: ${OPTIONS} (INVALID_OPTION)`,
      '7': `no_such_prop: ${missing} (PROPERTY_DOESNT_EXIST)`,
      '9': `engagement_model: gold was not one of the allowed options: ${OPTIONS} (INVALID_OPTION)`,
    });
    expect(hubspot.apiCalls).toBe(2);
    scope.done();
  });

  it('reads the whole entries of a message cut short, and learns the rest from the next answer', async () => {
    const ids = range(1, 7);
    const props = (id: string): Properties => ({
      engagement_model: id === '2' ? 'gold' : id === '4' ? 'silver' : 'low_touch',
    });
    const entries = [badOption('gold'), badOption('silver')];
    const cut = JSON.stringify(entries.slice(0, 1)).length + 30; // inside the 2nd entry
    const scope = api()
      .post(PATH, body(ids, props))
      .reply(400, invalid(entries, cut))
      .post(PATH, body(['1', '3', '4', '5', '6'], props))
      .reply(400, invalid([badOption('silver')]))
      .post(PATH, body(['1', '3', '5', '6'], props))
      .reply(200, echo);
    const { connector: hubspot } = harness();
    const result = await hubspot.update('company', updates(ids, props));
    expect(result.rejected.map((r) => r.id)).toEqual(['2', '4']);
    expect(result.written).toEqual(['1', '3', '5', '6']);
    expect(hubspot.apiCalls).toBe(3);
    scope.done();
  });

  it('when the message names the property but not the value, bisects only the records setting it', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const renewal: Record<string, string> = { b: '2026-13-45', e: '2027-01-01' };
    const props = (id: string): Properties => ({
      engagement_model: 'low_touch',
      ...(renewal[id] === undefined ? {} : { renewal_date: renewal[id] }),
    });
    const dateError = invalid([
      { isValid: false, message: 'Invalid date format', error: 'INVALID_DATE', name: 'renewal_date' },
    ]);
    const scope = api()
      .post(PATH, body(ids, props))
      .reply(400, dateError)
      .post(PATH, body(['a', 'c', 'd', 'f'], props))
      .reply(200, echo)
      .post(PATH, body(['b', 'e'], props))
      .reply(400, dateError)
      .post(PATH, body(['b'], props))
      .reply(400, dateError)
      .post(PATH, body(['e'], props))
      .reply(200, echo);
    const { connector: hubspot } = harness();
    const result = await hubspot.update('company', updates(ids, props));
    expect(result.written).toEqual(['a', 'c', 'd', 'f', 'e']);
    expect(result.rejected).toEqual([{ id: 'b', error: 'renewal_date: Invalid date format (INVALID_DATE)' }]);
    expect(hubspot.apiCalls).toBe(5);
    scope.done();
  });

  it('does not send a refused write again in the same sync: later batches and later calls skip it', async () => {
    const ids = range(1, 151);
    const bad = new Set(['10', '120', '160']);
    const tier = (id: string): Properties => ({ engagement_model: bad.has(id) ? 'platinum_touch' : 'mid_touch' });
    const scope = api()
      .post(PATH, body(ids.slice(0, 100), tier))
      .reply(400, invalid([badOption('platinum_touch')]))
      .post(
        PATH,
        body(
          ids.slice(0, 100).filter((id) => id !== '10'),
          tier,
        ),
      )
      .reply(200, echo)
      // The second batch is filled without 120, which HubSpot already refused.
      .post(
        PATH,
        body(
          ids.slice(100).filter((id) => id !== '120'),
          tier,
        ),
      )
      .reply(200, echo)
      .post(PATH, body(['161'], tier))
      .reply(200, echo);
    const { connector: hubspot } = harness();
    const first = await hubspot.update('company', updates(ids, tier));
    expect(first.rejected.map((r) => r.id)).toEqual(['10', '120']);
    expect(first.rejected[1]?.error).toMatch(/^engagement_model: platinum_touch was not one of .*not sent/);
    expect(first.written).toHaveLength(148);
    const later = await hubspot.update('company', updates(['160', '161'], tier));
    expect(later).toMatchObject({ written: ['161'], rejected: [{ id: '160' }] });
    expect(hubspot.apiCalls).toBe(4);
    scope.done();
  });

  it('rejects the ids a refused batch names (context.ids) and resends the rest once', async () => {
    const ids = range(1, 21);
    const tier = (): Properties => ({ engagement_model: 'low_touch' });
    const scope = api()
      .post(PATH, body(ids, tier))
      .reply(404, {
        status: 'error',
        message: 'Could not find company objects with ids: [13]. Nothing was updated.',
        category: 'OBJECT_NOT_FOUND',
        context: { ids: ['13'] },
      })
      .post(
        PATH,
        body(
          ids.filter((id) => id !== '13'),
          tier,
        ),
      )
      .reply(200, echo);
    const { connector: hubspot } = harness();
    const result = await hubspot.update('company', updates(ids, tier));
    expect(result.rejected).toEqual([
      { id: '13', error: 'Could not find company objects with ids: [13]. Nothing was updated.' },
    ]);
    expect(result.written).toHaveLength(19);
    expect(hubspot.apiCalls).toBe(2);
    scope.done();
  });
});
