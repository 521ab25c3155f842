/**
 * Every path the policy form shows a field or a group for, so that each validation problem is
 * shown next to the field it names, or else on the nearest group that holds it (`anchorOf`).
 * Mirrors the form in ../policy/: a field added there is added here.
 */
import { asArray, asObject, formatPath, type Json, type Path } from './json.ts';

export const SECTIONS = ['company', 'contact'] as const;
export type SectionName = (typeof SECTIONS)[number];

export const LISTS = [
  { key: 'rules', tierKey: 'tier' },
  { key: 'caps', tierKey: 'maxTier' },
  { key: 'floors', tierKey: 'minTier' },
] as const;

export function conditionPaths(condition: Json | undefined, path: Path, out: Set<string>): void {
  out.add(formatPath(path));
  const object = asObject(condition);
  if (object === undefined) return;
  for (const group of ['all', 'any'] as const) {
    if (group in object) {
      out.add(formatPath([...path, group]));
      asArray(object[group])?.forEach((child, index) => {
        conditionPaths(child, [...path, group, index], out);
      });
      return;
    }
  }
  if ('not' in object) {
    conditionPaths(object['not'], [...path, 'not'], out);
    return;
  }
  for (const key of Object.keys(object)) out.add(formatPath([...path, key]));
}

export function formPaths(draft: Json | undefined): Set<string> {
  const out = new Set<string>(['(policy)', 'tiers', 'manualEdits']);
  const policy = asObject(draft);
  asArray(policy?.['tiers'])?.forEach((_tier, index) => {
    for (const key of ['value', 'label']) out.add(formatPath(['tiers', index, key]));
    out.add(formatPath(['tiers', index]));
  });
  for (const name of SECTIONS) {
    out.add(name);
    const section = asObject(policy?.[name]);
    if (section === undefined) continue;
    out.add(formatPath([name, 'default']));
    if (name === 'contact') out.add(formatPath([name, 'inherit']));
    for (const list of LISTS) {
      out.add(formatPath([name, list.key]));
      asArray(section[list.key])?.forEach((item, index) => {
        const base = [name, list.key, index];
        out.add(formatPath(base));
        out.add(formatPath([...base, list.tierKey]));
        out.add(formatPath([...base, 'label']));
        conditionPaths(asObject(item)?.['when'], [...base, 'when'], out);
      });
    }
    if (name === 'company') {
      out.add(formatPath([name, 'capacity']));
      for (const [tier, capacity] of Object.entries(asObject(section['capacity']) ?? {})) {
        const base = [name, 'capacity', tier];
        for (const key of ['', 'max', 'max.csms', 'max.accountsPerCsm', 'rankBy', 'preferIncumbents']) {
          out.add(formatPath([...base, ...(key === '' ? [] : key.split('.'))]));
        }
        asArray(asObject(capacity)?.['rankBy'])?.forEach((_key, index) => {
          for (const key of ['', 'field', 'order'])
            out.add(formatPath([...base, 'rankBy', index, ...(key === '' ? [] : [key])]));
        });
      }
    }
    for (const key of ['', 'demotionMargin', 'minDaysInTier']) {
      out.add(formatPath([name, 'hysteresis', ...(key === '' ? [] : [key])]));
    }
  }
  return out;
}
