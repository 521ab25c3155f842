/**
 * Who set the tier (connectors/hubspot/tier-history.ts) against nock: batch reads with
 * `propertiesWithHistory` in chunks of at most 50, the newest entry whatever the order, a person
 * only for a user-driven source with a user, and each user named once through owners
 * (`idProperty=userId`), "user <id>" when HubSpot will not say.
 */
import { describe, expect, it } from 'vitest';
import { useNock } from '../nock.ts';
import { api, harness, TIME } from './hubspot-nock.ts';

useNock();

interface ReadBody {
  inputs: { id: string }[];
  properties: string[];
  propertiesWithHistory: string[];
}

function result(id: string, history: Record<string, unknown>[]): Record<string, unknown> {
  return {
    id,
    properties: { engagement_model: history[0]?.['value'] ?? null, hs_object_id: id },
    propertiesWithHistory: { engagement_model: history },
    createdAt: TIME,
    updatedAt: TIME,
    archived: false,
  };
}

const byUser = (value: string, timestamp: string, userId: number) => ({
  value,
  timestamp,
  sourceType: 'CRM_UI',
  sourceId: `userId:${userId}`,
  updatedByUserId: userId,
});
const byApp = (value: string, timestamp: string) => ({ value, timestamp, sourceType: 'INTEGRATION', sourceId: '1234' });

describe('HubSpot tierSetters', () => {
  it('asks 120 records in chunks of 50, 50 and 20, with history of the tier property only', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => String(1000 + i));
    const chunks: number[] = [];
    let asked: string[] = [];
    const scope = api()
      .post('/crm/v3/objects/contacts/batch/read', (body: ReadBody) => {
        asked = body.inputs.map((input) => input.id);
        return body.inputs.length <= 50 && body.propertiesWithHistory.join() === 'engagement_model';
      })
      .query({ archived: 'false' })
      .times(3)
      .reply(200, () => {
        chunks.push(asked.length);
        return {
          status: 'COMPLETE',
          results: asked.map((id) => result(id, [byApp('low_touch', '2026-12-01T10:00:00.000Z')])),
          startedAt: TIME,
          completedAt: TIME,
        };
      });
    const { connector } = harness();
    const setters = await connector.tierSetters?.('contact', ids);
    scope.done();
    expect(chunks).toEqual([50, 50, 20]);
    expect(setters?.size).toBe(120);
    expect(setters?.get('1000')).toEqual({
      value: 'low_touch',
      at: Date.parse('2026-12-01T10:00:00.000Z'),
      byPerson: false,
      by: 'INTEGRATION',
    });
  });

  it('takes the newest entry; a person is named once through owners; an unknown user is "user <id>"', async () => {
    const scope = api()
      .post('/crm/v3/objects/companies/batch/read', {
        inputs: [{ id: '1' }, { id: '2' }, { id: '3' }, { id: '4' }],
        properties: ['engagement_model'],
        propertiesWithHistory: ['engagement_model'],
      })
      .query({ archived: 'false' })
      .reply(200, {
        status: 'COMPLETE',
        results: [
          // Oldest first here: the newest is chosen by its timestamp.
          result('1', [
            byApp('low_touch', '2026-12-01T10:00:00.000Z'),
            byUser('high_touch', '2026-12-05T09:30:00.000Z', 77),
          ]),
          result('2', [byUser('mid_touch', '2026-12-06T08:00:00.000Z', 77)]),
          result('3', [byUser('mid_touch', '2026-12-06T08:00:00.000Z', 99)]),
          // A workflow is not a person, even with a user on it.
          result('4', [
            {
              value: 'tech_touch',
              timestamp: '2026-12-06T08:00:00.000Z',
              sourceType: 'WORKFLOWS',
              sourceId: 'enrollmentId:1',
              updatedByUserId: 77,
            },
          ]),
        ],
        startedAt: TIME,
        completedAt: TIME,
      })
      .get('/crm/v3/owners/77')
      .query({ idProperty: 'userId', archived: 'false' })
      .reply(200, {
        id: '5001',
        userId: 77,
        firstName: 'Dana',
        lastName: 'Whitfield',
        email: 'dana@example.com',
        type: 'PERSON',
        archived: false,
        createdAt: TIME,
        updatedAt: TIME,
      })
      .get('/crm/v3/owners/99')
      .query({ idProperty: 'userId', archived: 'false' })
      .reply(404, { status: 'error', message: 'Owner not found', category: 'OBJECT_NOT_FOUND' });
    const { connector, warnings } = harness();
    const setters = await connector.tierSetters?.('company', ['1', '2', '3', '4']);
    scope.done();
    expect(setters?.get('1')).toEqual({
      value: 'high_touch',
      at: Date.parse('2026-12-05T09:30:00.000Z'),
      byPerson: true,
      by: 'Dana Whitfield',
    });
    expect(setters?.get('2')?.by).toBe('Dana Whitfield');
    expect(setters?.get('3')).toMatchObject({ byPerson: true, by: 'user 99' });
    expect(setters?.get('4')).toMatchObject({ byPerson: false, by: 'WORKFLOWS' });
    expect(warnings.join('\n')).toContain('could not name user 99');
  });
});
