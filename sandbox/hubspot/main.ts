/**
 * Starts the sandbox CRM and prints its URL:
 *
 *   node sandbox/hubspot/main.ts --port 4010 --size 2000 --seed 1
 *
 * `--size` is the number of companies (contacts 4×, deals 1.5×, unless given). `--mutate-every`
 * changes some deals and lead scores on a timer, so scheduled syncs have something to pick up.
 * Point the connector at it with HUBSPOT_BASE_URL=<url> and any HUBSPOT_ACCESS_TOKEN.
 */
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind, type FaultOptions } from './faults.ts';
import { generatePortal, mutate, portalSize, type GenerateOptions } from './generate.ts';
import { createSandbox } from './server.ts';

const USAGE = `usage: node sandbox/hubspot/main.ts [options]
  --port <n>            port to listen on (default 4010; 0 = any free port)
  --host <addr>         address to listen on (default 127.0.0.1)
  --size <n>            companies (default 2000); contacts and deals scale with it
  --contacts <n>        contacts (default 4 × size)
  --deals <n>           deals (default 1.5 × size)
  --seed <n>            data seed (default 1)
  --token <t>           accept only this access token (default: any)
  --no-limits           turn HubSpot's rate limits off
  --faults <rate>       inject faults into this share of requests (0–1)
  --fault-kinds <list>  comma-separated: 429,500,timeout,slow (default all)
  --mutate-every <s>    every s seconds, change some deals and lead scores
  --mutate-count <n>    how many of each to change (default 10)
  --lead-scoring <s>    combined (default), fit or none (only the frozen hubspotscore)
  --currencies <list>   a multi-currency portal: CODE=rate to USD, e.g. EUR=1.08,JPY=0.0067
  --log                 print one line per request`;

function count(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, was ${raw}`);
  return value;
}

function faultOptions(rate: string | undefined, kinds: string | undefined, seed: number): FaultOptions | undefined {
  if (rate === undefined) return undefined;
  const share = Number(rate);
  if (!(share >= 0 && share <= 1)) throw new Error(`--faults must be between 0 and 1, was ${rate}`);
  const list = (kinds ?? FAULT_KINDS.join(',')).split(',').map((kind) => kind.trim());
  const unknown = list.filter((kind) => !(FAULT_KINDS as readonly string[]).includes(kind));
  if (unknown.length > 0) throw new Error(`unknown fault kinds: ${unknown.join(', ')}`);
  return { rate: share, kinds: list as FaultKind[], seed };
}

function leadScoring(raw: string | undefined): NonNullable<GenerateOptions['leadScoring']> {
  if (raw === undefined) return 'combined';
  if (raw === 'combined' || raw === 'fit' || raw === 'none') return raw;
  throw new Error(`--lead-scoring must be combined, fit or none, was ${raw}`);
}

function currencies(raw: string | undefined): GenerateOptions['currencies'] {
  if (raw === undefined) return undefined;
  const rates: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const [code = '', rate = ''] = part.split('=').map((text) => text.trim());
    if (!['EUR', 'GBP', 'JPY'].includes(code) || !(Number(rate) > 0)) {
      throw new Error(`--currencies takes EUR, GBP or JPY with a positive rate (EUR=1.08), was ${part}`);
    }
    rates[code] = Number(rate);
  }
  return rates;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      size: { type: 'string' },
      contacts: { type: 'string' },
      deals: { type: 'string' },
      seed: { type: 'string' },
      token: { type: 'string' },
      'no-limits': { type: 'boolean' },
      faults: { type: 'string' },
      'fault-kinds': { type: 'string' },
      'mutate-every': { type: 'string' },
      'mutate-count': { type: 'string' },
      'lead-scoring': { type: 'string' },
      currencies: { type: 'string' },
      log: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const size = count(values.size, 2000, 'size');
  const seed = count(values.seed, 1, 'seed');
  const started = performance.now();
  const portal = generatePortal({
    seed,
    companies: size,
    contacts: count(values.contacts, size * 4, 'contacts'),
    deals: count(values.deals, Math.round(size * 1.5), 'deals'),
    leadScoring: leadScoring(values['lead-scoring']),
    currencies: currencies(values.currencies),
  });
  const faults = faultOptions(values.faults, values['fault-kinds'], seed);
  const sandbox = createSandbox({
    portal,
    ...(values.token === undefined ? {} : { token: values.token }),
    ...(values['no-limits'] === true ? { limits: false as const } : {}),
    ...(faults === undefined ? {} : { faults }),
    ...(values.log === true
      ? {
          log: (line: string) => {
            console.log(line);
          },
        }
      : {}),
  });
  const running = await sandbox.listen(count(values.port, 4010, 'port'), values.host ?? '127.0.0.1');
  const sizes = portalSize(portal);
  console.log(
    `sandbox CRM (portal ${portal.portalId}: ${sizes.companies} companies, ${sizes.contacts} contacts, ${sizes.deals} deals; ` +
      `generated in ${Math.round(performance.now() - started)} ms)`,
  );
  console.log(running.url);

  const every = count(values['mutate-every'], 0, 'mutate-every');
  const perTick = count(values['mutate-count'], 10, 'mutate-count');
  let tick = 0;
  const timer =
    every > 0
      ? setInterval(() => {
          tick++;
          const changed = mutate(portal, { deals: perTick, contacts: perTick, seed: seed * 1000 + tick });
          console.log(`mutated ${changed.deals.length} deals and ${changed.contacts.length} contacts`);
        }, every * 1000)
      : undefined;

  const stop = (): void => {
    if (timer !== undefined) clearInterval(timer);
    void running.close().then(() => {
      console.log(`stopped after ${sandbox.stats.requests} requests`);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  console.error(USAGE);
  process.exitCode = 1;
});
