/**
 * The `righttouch` command line. Only `classify` and `validate` are loaded up front: every other
 * command's module is imported when it runs, so that `classify` does not load the store, the
 * connectors and their CRM clients, the server or the sandboxes (0.7 s of CPU and 24 MiB at every
 * start on the benchmark machine; README, Benchmark).
 */
import { Command, CommanderError, Option } from 'commander';
import { parseNow, runClassify } from './classify-command.ts';
import { DEFAULT_DATA_FILE } from '../app/paths.ts';
import { EXIT_BAD_INPUT, EXIT_OK, exitCodeOf, InputError } from './errors.ts';
import type { StartOptions } from './start-command.ts';
import { runValidate } from './validate-command.ts';

export function buildProgram(): Command {
  const program = new Command('righttouch')
    .description('Decide and keep current the engagement model of every CRM company and contact.')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('classify')
    .description('decide the engagement model of canonical records (JSON Lines in, JSON Lines out)')
    .requiredOption('--policy <file>', 'policy JSON file')
    .requiredOption('--records <file>', 'canonical records, one JSON object per line ("-" for stdin)')
    .option('--previous <file>', 'previous tiers, one JSON object per line')
    .option('--now <iso>', 'the run clock, e.g. 2026-11-20T00:00:00Z (default: the current time)')
    .addOption(new Option('--summary', 'also print tier counts, movements and capacity on stderr'))
    .action(
      async (options: { policy: string; records: string; previous?: string; now?: string; summary?: boolean }) => {
        await runClassify(options, { stdout: process.stdout, stderr: process.stderr });
      },
    );

  program
    .command('validate')
    .description('check a policy file and list every problem with its JSON path')
    .requiredOption('--policy <file>', 'policy JSON file')
    .action(async (options: { policy: string }) => {
      await runValidate(options, { stdout: process.stdout });
    });

  program
    .command('start')
    .description(
      'the demo on embedded defaults: a local sandbox HubSpot portal, setup, a full sync, then a sync every minute while the sandbox changes',
    )
    .option('--size <n>', 'companies in a newly generated sandbox portal (contacts 4×, deals 1.5×)', '2000')
    .option('--every <cron>', 'when to sync (node-cron expression, UTC)', '* * * * *')
    .option('--mutate-every <seconds>', 'how often the sandbox changes deals and lead scores (0: never)', '20')
    .option('--mutate-count <n>', 'deals and lead scores changed each time', '10')
    .option('--policy <file>', 'use (and store as the active version) this policy')
    .option('--port <n>', 'the sandbox port (default: any free port)')
    .option('--data <file>', 'the store file; the sandbox portal is saved beside it', DEFAULT_DATA_FILE)
    .option('--fresh', 'generate a new sandbox portal even if one was saved')
    .option('--once', 'set up and sync once, then stop')
    .option('--ui-port <n>', 'port of the admin UI (default 3000; 0: any free port)')
    .action(async (options: StartOptions) => {
      const stop = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      const { runStart } = await import('./start-command.ts');
      await runStart(options, { stdout: process.stdout, progress: process.stderr, stopSignal: stop });
    });

  program
    .command('serve')
    .description(
      'run the installable app: OAuth installs, webhooks, admin API, scheduled syncs (settings from the environment)',
    )
    .option('--data <file>', 'the store file', DEFAULT_DATA_FILE)
    .option('--port <n>', 'port to listen on (default: PORT, else 3000)')
    .option('--no-worker', 'run no syncs here, only queue them for `righttouch worker` processes (PostgreSQL)')
    .action(async (options: { data: string; port?: string; worker: boolean }) => {
      const port = options.port === undefined ? undefined : Number(options.port);
      if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
        throw new InputError(`--port must be a port number, was ${options.port ?? ''}`);
      }
      // Loaded here: the server and its CRM clients are not needed by the other commands.
      const { serve } = await import('../server/serve.ts');
      // A bad environment (ConfigError, SecretKeyError) is bad input: exit code 2.
      const running = await serve({ data: options.data, port, worker: options.worker }, process.env);
      process.stdout.write(
        `RightTouch server listening on ${running.url} (public address ${running.config.publicBaseUrl})\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.close();
    });

  program
    .command('worker')
    .description('run syncs without an HTTP server, beside `serve --no-worker` (PostgreSQL: DATABASE_URL)')
    .option(
      '--data <file>',
      'the store file (unused with DATABASE_URL; for the secret key beside it)',
      DEFAULT_DATA_FILE,
    )
    .action(async (options: { data: string }) => {
      const { startWorker } = await import('../server/worker.ts');
      const running = await startWorker({ data: options.data }, process.env);
      process.stdout.write(`RightTouch worker running (${running.runner.engine})\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.close();
    });

  program
    .command('api-key')
    .description('create an admin API key: for one installation (--account) or, with --all, for every installation')
    .requiredOption('--label <text>', 'what the key is for (shown in listings)')
    .option('--crm <crm>', 'hubspot or salesforce (with --account)')
    .option('--account <id>', 'the portal id / org id the key may reach')
    .option('--all', 'a key for every installation (a self-hosted admin)')
    .option('--data <file>', 'the store file', DEFAULT_DATA_FILE)
    .action(async (options: { label: string; crm?: string; account?: string; all?: boolean; data: string }) => {
      const { runApiKey } = await import('./api-key-command.ts');
      await runApiKey(options, { stdout: process.stdout });
    });

  program
    .command('hubspot-project')
    .description('write the HubSpot developer project (app, webhooks, record card) generated from app.json')
    .option('--out <dir>', 'where to write it', 'hubspot-project')
    .option('--base-url <url>', "the server's public https address (default: PUBLIC_BASE_URL, else an example)")
    .option('--check', 'only say whether the files there are current (exit 1 if not)')
    .action(async (options: { out: string; baseUrl?: string; check?: boolean }) => {
      const { runHubSpotProject } = await import('./hubspot-project-command.ts');
      const current = await runHubSpotProject(options, { stdout: process.stdout, env: process.env });
      if (!current) process.exitCode = 1;
    });

  program
    .command('setup')
    .description('create the engagement-model properties in the CRM and check the mapped ones (idempotent)')
    .requiredOption('--crm <crm>', 'hubspot or salesforce')
    .option('--policy <file>', 'the policy whose tiers become the options (default: the active one)')
    .option('--mapping <file>', 'the field mapping (default: mappings/<crm>.json)')
    .option('--data <file>', 'the store file', DEFAULT_DATA_FILE)
    .option('--json', 'machine-readable output')
    .option('--lead-score <property>', 'read the lead score from this contact property (stored for the account)')
    .option('--lists <on|off>', 'keep a list per tier in the CRM (stored for the account; default on)')
    .option('--layouts <on|off>', 'Salesforce: put the fields on the page layouts (stored for the account; default on)')
    .action(
      async (options: {
        crm: string;
        policy?: string;
        mapping?: string;
        data: string;
        json?: boolean;
        leadScore?: string;
        lists?: string;
        layouts?: string;
      }) => {
        const { runSetup } = await import('./sync-commands.ts');
        await runSetup(options, { stdout: process.stdout, env: process.env });
      },
    );

  program
    .command('sync')
    .description('read changes from the CRM, decide every engagement model, write back those that changed')
    .requiredOption('--crm <crm>', 'hubspot or salesforce')
    .option('--full', 'read everything (the first sync always does), and drop records deleted in the CRM')
    .option('--dry-run', 'everything but the writes: what would change and what it would cost')
    .option('--policy <file>', 'use (and store as the active version) this policy')
    .option('--mapping <file>', 'the field mapping (default: mappings/<crm>.json)')
    .option('--data <file>', 'the store file', DEFAULT_DATA_FILE)
    .option('--json', 'machine-readable summary')
    .option(
      '--wait <seconds>',
      'while another sync of the account runs (the server, another command), wait up to this long for it (default: refuse at once, exit code 3)',
    )
    .action(
      async (options: {
        crm: string;
        full?: boolean;
        dryRun?: boolean;
        policy?: string;
        mapping?: string;
        data: string;
        json?: boolean;
        wait?: string;
      }) => {
        const wait = options.wait === undefined ? undefined : Number(options.wait);
        if (wait !== undefined && !(Number.isFinite(wait) && wait >= 0)) {
          throw new InputError(`--wait must be a number of seconds (0 or more), not ${options.wait ?? ''}`);
        }
        const { runSync } = await import('./sync-commands.ts');
        await runSync({ ...options, wait }, { stdout: process.stdout, env: process.env, progress: process.stderr });
      },
    );

  program
    .command('history')
    .description("a record's engagement model, its reasons and every change of tier")
    .requiredOption('--crm <crm>', 'hubspot or salesforce')
    .requiredOption('--id <id>', 'the CRM record id')
    .option('--type <type>', 'company or contact', 'company')
    .option('--account <id>', 'the portal/org id, when the store has several')
    .option('--data <file>', 'the store file', DEFAULT_DATA_FILE)
    .option('--json', 'machine-readable output')
    .action(
      async (options: { crm: string; id: string; type: string; account?: string; data: string; json?: boolean }) => {
        const { runHistory } = await import('./store-commands.ts');
        await runHistory(options, { stdout: process.stdout });
      },
    );

  program
    .command('preview')
    .description('run a candidate policy on the mirrored records: distribution, movements, cost; writes nothing')
    .requiredOption('--crm <crm>', 'hubspot or salesforce')
    .requiredOption('--policy <file>', 'the candidate policy JSON file')
    .option('--mapping <file>', 'the field mapping (default: mappings/<crm>.json)')
    .option('--now <iso>', 'the clock for hysteresis and deal windows (default: the current time)')
    .option('--account <id>', 'the portal/org id, when the store has several')
    .option('--data <file>', 'the store file', DEFAULT_DATA_FILE)
    .option('--json', 'machine-readable output')
    .action(
      async (options: {
        crm: string;
        policy: string;
        mapping?: string;
        now?: string;
        account?: string;
        data: string;
        json?: boolean;
      }) => {
        const now = parseNow(options.now, () => new Date());
        const { runPreview } = await import('./store-commands.ts');
        await runPreview(options, { stdout: process.stdout, clock: () => now });
      },
    );

  return program;
}

/** Runs the CLI and returns its exit code: 0 done, 2 bad input or usage, 3 busy (errors.ts), 1 anything else. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not failures; usage errors were already printed by commander.
      return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (isBrokenPipe(error)) return EXIT_OK;
    process.stderr.write(`righttouch: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodeOf(error);
  }
}

function isBrokenPipe(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EPIPE';
}
