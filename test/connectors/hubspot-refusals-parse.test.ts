/**
 * Reading HubSpot's refusal messages (connectors/hubspot/refusals.ts) in the forms captured from
 * real portals (reference/hubspot-api.md §1.3, fidelity row 4): the JSON list inside `message`,
 * values quoted at the start of each entry's message, lists cut short or with a broken entry.
 */
import { describe, expect, it } from 'vitest';
import { idsNamed, refusalsOf, refusesValue, type Refusal } from '../../connectors/hubspot/refusals.ts';

function body(entries: string): Record<string, unknown> {
  return { status: 'error', message: `Property values were not valid: ${entries}`, category: 'VALIDATION_ERROR' };
}

const entry = (fields: Record<string, unknown>): string => JSON.stringify({ isValid: false, ...fields });
const brief = (r: Refusal): [string, string, string | undefined, boolean] => [r.name, r.error, r.value, r.anyValue];

describe('refusalsOf', () => {
  it('reads every entry, the value each message quotes first, and property-wide errors', () => {
    const missing = 'Property "bogus_prop" does not exist';
    const list = [
      entry({
        message: missing,
        error: 'PROPERTY_DOESNT_EXIST',
        name: 'bogus_prop',
        localizedErrorMessage: missing,
        portalId: 3855728,
      }),
      entry({
        message: 'Japan Summer was not one of the allowed options',
        error: 'INVALID_OPTION',
        name: 'pd_program',
      }),
      entry({
        message: 'confirmed: Veza was not one of the allowed options: [none, possible, confirmed]',
        error: 'INVALID_OPTION',
        name: 'oak_competitor_status',
      }),
      entry({
        message:
          'registered is not a valid pipeline stage ID. Valid options are: pipelineId=default : [appointmentscheduled, closedwon]',
        error: 'INVALID_OPTION',
        name: 'dealstage',
      }),
      entry({ message: 'Email address not-an-email is invalid', error: 'INVALID_EMAIL', name: 'email' }),
      entry({ message: 'Invalid date format', error: 'INVALID_DATE', name: 'renewal_date' }),
    ];
    expect(refusalsOf(body(`[${list.join(',')}]`)).map(brief)).toEqual([
      ['bogus_prop', 'PROPERTY_DOESNT_EXIST', undefined, true],
      ['pd_program', 'INVALID_OPTION', 'Japan Summer', false],
      ['oak_competitor_status', 'INVALID_OPTION', 'confirmed: Veza', false],
      ['dealstage', 'INVALID_OPTION', 'registered', false],
      ['email', 'INVALID_EMAIL', 'not-an-email', false],
      ['renewal_date', 'INVALID_DATE', undefined, false],
    ]);
  });

  it('takes the whole entries of a list cut short, skips a broken one, and is not fooled by brackets in values', () => {
    const first = entry({
      message: 'a}b]c was not one of the allowed options: [x]',
      error: 'INVALID_OPTION',
      name: 'p',
    });
    const broken = '{"isValid":false,"message":"oops" "error":"INVALID_OPTION","name":"q"}';
    const third = entry({ message: 'z was not one of the allowed options: [x]', error: 'INVALID_OPTION', name: 'r' });
    const cut = `[${first},${broken},${third},${entry({ message: 'never read', name: 's' })}`.slice(0, -12);
    expect(refusalsOf(body(cut)).map(brief)).toEqual([
      ['p', 'INVALID_OPTION', 'a}b]c', false],
      ['r', 'INVALID_OPTION', 'z', false],
    ]);
  });

  it('gives nothing when the message does not say (cut inside the first entry, or no list)', () => {
    // As a capture shows such a message: sliced inside the allowed options, before "error" and "name".
    const sliced =
      'Property values were not valid: [{"isValid":false,"message":"NAM Only was not one of the allowed options: [Procurement, Hide, Decision Maker, Left';
    expect(refusalsOf({ status: 'error', message: sliced })).toEqual([]);
    expect(refusalsOf(body('"nope" was not one of the allowed options'))).toEqual([]);
    expect(refusalsOf('Bad Request')).toEqual([]);
  });

  it('reads a structured errors[] too, and the ids a body names', () => {
    const structured = {
      status: 'error',
      message: 'Property values were not valid',
      errors: [
        { message: 'Property "x" does not exist', code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['x'] } },
      ],
      context: { ids: ['12', 13] },
    };
    expect(refusalsOf(structured).map(brief)).toEqual([['x', 'PROPERTY_DOESNT_EXIST', undefined, true]]);
    expect(idsNamed(structured)).toEqual(['12']);
  });
});

describe('refusesValue', () => {
  const option: Refusal = { name: 'p', error: 'INVALID_OPTION', message: '', value: 'gold', anyValue: false };
  it('matches the quoted value, one of several checkbox values, or any value of a property-wide refusal', () => {
    expect(refusesValue(option, 'gold')).toBe(true);
    expect(refusesValue(option, 'silver;gold')).toBe(true);
    expect(refusesValue(option, 'golden')).toBe(false);
    expect(refusesValue({ ...option, value: undefined }, 'gold')).toBe(false);
    expect(refusesValue({ ...option, value: undefined, anyValue: true }, 'anything')).toBe(true);
  });
});
