/**
 * A `righttouch serve --no-worker` process for the multi-process tests: `serve()` on PostgreSQL
 * (DATABASE_URL; the test's schema by the URL's search_path), its pg-boss queue in the test's
 * schema, answering the admin API with the admin token — process A of "a change made through A
 * reaches B". Runs no syncs itself: test/jobs/boss-worker.ts processes do.
 *
 * argv[2] is JSON: { databaseUrl, bossSchema, adminToken }. Prints `ready <url>`; SIGTERM stops it.
 */
import { createLogger } from '../../src/server/logger.ts';
import { serve } from '../../src/server/serve.ts';

interface Args {
  readonly databaseUrl: string;
  readonly bossSchema: string;
  readonly adminToken: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const running = await serve(
  {
    port: 0,
    worker: false,
    bossSchema: args.bossSchema,
    // As the test workers' (boss-worker.ts): whichever process creates pg-boss's queue sets its retries.
    retryDelayMs: 1000,
    logger: createLogger({ level: 'silent' }),
  },
  {
    DATABASE_URL: args.databaseUrl,
    RIGHTTOUCH_ADMIN_TOKEN: args.adminToken,
    RIGHTTOUCH_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
  },
);
process.stdout.write(`ready ${running.url}\n`);
process.once('SIGTERM', () => {
  void running.close().then(() => process.exit(0));
});
