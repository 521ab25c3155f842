/**
 * Bulk API 2.0 ingest jobs (`/services/data/vXX.X/jobs/ingest`): create (Open), list (Get All
 * Jobs: `done`, `records`, `nextRecordsUrl`, 1,000 a page, in no promised order), one CSV upload
 * (`PUT …/batches`), close (UploadComplete: the rows are processed then) or abort, poll (the first
 * `bulkProcessingPolls` polls after closing report InProgress, later ones JobComplete), the
 * successful / failed / unprocessed result CSVs, delete. Operations: update and delete. CSV cells:
 * empty = leave the field alone, `#N/A` = null. Every one of these requests is an API call against
 * the daily allocation (the limiter in front counts it), polls included.
 *
 * The unpleasant parts, as Salesforce has them:
 * - a job takes its data once: a second `PUT …/batches` is refused with `BULK_API_ERROR` "Found
 *   multipe contents for job: <id>, please 'Close' / 'Abort' / 'Delete' the current Job then create
 *   a new Job and make sure you only do 'PUT' once on a given Job." (typo and 15-character id as
 *   captured from a real org in a public Bulk API 2.0 walkthrough on GitHub; jsforce refuses a second
 *   upload on the same job object before sending it: "Data can only be uploaded to a job once.",
 *   `src/api/bulk2.ts` JobDataV2.execute);
 * - a job can be closed only while Open: closing it again is refused (400 `INVALIDJOBSTATE`, the
 *   code the Bulk API 2.0 error list gives for a state change the job does not allow; the exact
 *   message of a real org is not documented, so this one is ours);
 * - a job nobody closes stays Open (an orphan) until someone aborts it.
 */
import express, { type Router } from 'express';
import { parse } from 'csv-parse/sync';
import { SfHttpError } from './errors.ts';
import { param, type SalesforceContext, userOf, writeContext } from './context.ts';
import { formatDateTime, type ObjectDef } from './model.ts';
import { applyPlan, planUpdate, unknownField } from './writes.ts';

type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Aborted' | 'Failed';

interface Job {
  readonly id: string;
  readonly object: ObjectDef;
  readonly operation: 'update' | 'delete';
  readonly lineEnding: string;
  readonly columnDelimiter: string;
  readonly createdById: string;
  /** The creating request's `Sforce-Call-Options` (the change events' `changeOrigin` client). */
  readonly callOptions: string | undefined;
  readonly createdDate: string;
  readonly version: string;
  state: JobState;
  systemModstamp: string;
  /** Polls left that still report InProgress after closing. */
  pendingPolls: number;
  columns: string[] | undefined;
  rows: string[][] | undefined;
  successful: string[][];
  failed: string[][];
  unprocessed: string[][];
  errorMessage: string | undefined;
}

const DELIMITERS: Record<string, string> = {
  COMMA: ',',
  TAB: '\t',
  PIPE: '|',
  SEMICOLON: ';',
  CARET: '^',
  BACKQUOTE: '`',
};

function csvCell(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

function toCsv(header: string[], rows: string[][], lineEnding: string): string {
  const eol = lineEnding === 'CRLF' ? '\r\n' : '\n';
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join(eol) + eol;
}

function jobInfo(job: Job, full: boolean): Record<string, unknown> {
  const processed = job.successful.length + job.failed.length;
  return {
    id: job.id,
    operation: job.operation,
    object: job.object.name,
    createdById: job.createdById,
    createdDate: job.createdDate,
    systemModstamp: job.systemModstamp,
    state: job.state,
    concurrencyMode: 'Parallel',
    contentType: 'CSV',
    apiVersion: Number(job.version.slice(1)),
    contentUrl: `services/data/${job.version}/jobs/ingest/${job.id}/batches`,
    lineEnding: job.lineEnding,
    columnDelimiter: job.columnDelimiter,
    ...(full
      ? {
          jobType: 'V2Ingest',
          numberRecordsProcessed: processed,
          numberRecordsFailed: job.failed.length,
          retries: 0,
          totalProcessingTime: processed,
          apiActiveProcessingTime: processed,
          apexProcessingTime: 0,
          ...(job.errorMessage === undefined ? {} : { errorMessage: job.errorMessage }),
        }
      : {}),
  };
}

/** Get All Jobs' page size (Salesforce: "up to 1000 result rows per request"). */
export const JOB_LIST_PAGE = 1000;

export function bulkRoutes(context: SalesforceContext): Router {
  const router = express.Router();
  const jobs = new Map<string, Job>();
  /** The state a closed job reaches once its pending polls are used up. */
  const jobStates = new Map<string, JobState>();
  const { org } = context;

  const jobOf = (id: string | undefined): Job => {
    const job = id === undefined ? undefined : jobs.get(id);
    if (job === undefined) throw new SfHttpError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return job;
  };

  const process = (job: Job, userId: string): void => {
    const columns = job.columns ?? [];
    const rows = job.rows ?? [];
    const ctx = writeContext(context, userId, { callOptions: job.callOptions, api: 'bulk' });
    const missing = unknownField(ctx, job.object, columns);
    if (missing !== undefined) {
      job.state = 'Failed';
      job.errorMessage = `InvalidBatch : Field name not found : ${missing}`;
      job.unprocessed = rows;
      return;
    }
    const idIndex = columns.findIndex((c) => c.toLowerCase() === 'id');
    if (idIndex < 0) {
      job.state = 'Failed';
      job.errorMessage = 'InvalidBatch : Field name not found : Id';
      job.unprocessed = rows;
      return;
    }
    for (const row of rows) {
      const id = row[idIndex] ?? '';
      const values: Record<string, unknown> = {};
      if (job.operation === 'update') {
        columns.forEach((column, i) => {
          const cell = row[i] ?? '';
          if (i === idIndex || cell === '') return;
          values[column] = cell === '#N/A' ? null : cell;
        });
      }
      const plan = planUpdate(ctx, job.object, id, values);
      if (!plan.ok) {
        const fields = plan.error.fields.join(',');
        const fieldPart = fields === '' ? '--' : `${fields} --`;
        job.failed.push([plan.id ?? '', `${plan.error.statusCode}:${plan.error.message}:${fieldPart}`, ...row]);
        continue;
      }
      if (job.operation === 'delete') {
        const deleted = org.deleteRecord(job.object.name, plan.id, ctx.now);
        org.changeEvents.publish([deleted], 'DELETE', { userId, callOptions: job.callOptions, api: 'bulk' }, ctx.now);
      } else applyPlan(ctx, plan);
      context.stats.recordsWritten++;
      job.successful.push([plan.id, 'false', ...row]);
    }
    job.state = 'JobComplete';
  };

  router.post('/services/data/:version/jobs/ingest', (req, res) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const object = typeof body['object'] === 'string' ? org.objectDef(body['object']) : undefined;
    if (object === undefined) {
      throw new SfHttpError(
        400,
        'INVALIDENTITY',
        `Entity '${String(body['object'])}' is not supported by the Bulk API.`,
      );
    }
    const operation = body['operation'];
    if (operation !== 'update' && operation !== 'delete') {
      throw new SfHttpError(
        400,
        'FEATURE_NOT_ENABLED',
        `sandbox: Bulk API 2.0 operation '${String(operation)}' is not supported (only update and delete)`,
      );
    }
    const lineEnding = body['lineEnding'] === 'CRLF' ? 'CRLF' : 'LF';
    const columnDelimiter = typeof body['columnDelimiter'] === 'string' ? body['columnDelimiter'] : 'COMMA';
    if (!(columnDelimiter in DELIMITERS))
      throw new SfHttpError(400, 'INVALIDJOB', `Invalid column delimiter: ${columnDelimiter}`);
    const stamp = formatDateTime(context.now());
    const job: Job = {
      id: org.newId('BulkJob'),
      object,
      operation,
      lineEnding,
      columnDelimiter,
      createdById: userOf(res),
      callOptions: req.get('sforce-call-options'),
      createdDate: stamp,
      systemModstamp: stamp,
      version: param(req, 'version'),
      state: 'Open',
      pendingPolls: context.bulkProcessingPolls,
      columns: undefined,
      rows: undefined,
      successful: [],
      failed: [],
      unprocessed: [],
      errorMessage: undefined,
    };
    jobs.set(job.id, job);
    context.stats.bulkJobs++;
    res.status(200).json(jobInfo(job, false));
  });

  router.put('/services/data/:version/jobs/ingest/:id/batches', (req, res) => {
    const job = jobOf(param(req, 'id'));
    if (job.state !== 'Open') {
      throw new SfHttpError(
        400,
        'INVALIDJOBSTATE',
        `Job ${job.id} is not in the Open state; data can only be uploaded to an Open job.`,
      );
    }
    if (job.rows !== undefined) {
      throw new SfHttpError(
        400,
        'BULK_API_ERROR',
        `Found multipe contents for job: <${job.id.slice(0, 15)}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
      );
    }
    const csv = typeof req.body === 'string' ? req.body : '';
    let table: string[][];
    try {
      table = parse(csv, {
        delimiter: DELIMITERS[job.columnDelimiter] ?? ',',
        relax_column_count: false,
        skip_empty_lines: true,
        bom: true,
      });
    } catch (err) {
      throw new SfHttpError(400, 'INVALIDBATCH', `Invalid CSV: ${err instanceof Error ? err.message : String(err)}`);
    }
    const [header, ...rows] = table;
    if (header === undefined) throw new SfHttpError(400, 'INVALIDBATCH', 'The CSV has no header row');
    job.columns = header;
    job.rows = rows;
    org.bulkBatchesUsed += Math.max(1, Math.ceil(rows.length / 10_000));
    res.status(201).end();
  });

  router.patch('/services/data/:version/jobs/ingest/:id', (req, res) => {
    const job = jobOf(param(req, 'id'));
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const state = body['state'];
    if (state === 'UploadComplete') {
      if (job.state !== 'Open') {
        throw new SfHttpError(
          400,
          'INVALIDJOBSTATE',
          `Job ${job.id} is in state ${job.state === 'UploadComplete' || job.state === 'InProgress' ? 'UploadComplete' : job.state}: only an Open job can be set to UploadComplete`,
        );
      }
      if (job.rows === undefined) throw new SfHttpError(400, 'INVALIDJOBSTATE', `No data uploaded for job ${job.id}`);
      process(job, job.createdById);
      const finalState = job.state;
      // Processing happened now, but the first poll still sees it running.
      job.state = job.pendingPolls > 0 ? 'UploadComplete' : finalState;
      jobStates.set(job.id, finalState);
    } else if (state === 'Aborted') {
      if (job.state === 'JobComplete' || job.state === 'Failed') {
        throw new SfHttpError(400, 'INVALIDJOBSTATE', `Job ${job.id} has already finished`);
      }
      job.state = 'Aborted';
      job.unprocessed = job.rows ?? [];
    } else {
      throw new SfHttpError(400, 'INVALIDJOBSTATE', `Invalid state transition: ${String(state)}`);
    }
    job.systemModstamp = formatDateTime(context.now());
    res.json(jobInfo(job, false));
  });

  router.get('/services/data/:version/jobs/ingest', (req, res) => {
    const version = param(req, 'version');
    const locator = typeof req.query['queryLocator'] === 'string' ? Number(req.query['queryLocator']) : 0;
    const start = Number.isInteger(locator) && locator > 0 ? locator : 0;
    const all = [...jobs.values()];
    const page = all.slice(start, start + JOB_LIST_PAGE);
    const done = start + JOB_LIST_PAGE >= all.length;
    res.json({
      done,
      records: page.map((job) => ({ ...jobInfo(job, false), jobType: 'V2Ingest' })),
      nextRecordsUrl: done ? null : `/services/data/${version}/jobs/ingest?queryLocator=${start + JOB_LIST_PAGE}`,
    });
  });

  router.get('/services/data/:version/jobs/ingest/:id', (req, res) => {
    const job = jobOf(param(req, 'id'));
    const final = jobStates.get(job.id);
    if (final !== undefined && (job.state === 'UploadComplete' || job.state === 'InProgress')) {
      if (job.pendingPolls > 0) {
        job.pendingPolls--;
        job.state = 'InProgress';
      } else {
        job.state = final;
      }
    }
    res.json(jobInfo(job, true));
  });

  const results = (kind: 'successful' | 'failed' | 'unprocessed'): express.RequestHandler => {
    return (req, res) => {
      const job = jobOf(param(req, 'id'));
      const columns = job.columns ?? [];
      if (kind !== 'unprocessed' && job.state !== 'JobComplete' && job.state !== 'Failed' && job.state !== 'Aborted') {
        throw new SfHttpError(400, 'INVALIDJOBSTATE', `Job ${job.id} is not finished`);
      }
      const header =
        kind === 'successful'
          ? ['sf__Id', 'sf__Created', ...columns]
          : kind === 'failed'
            ? ['sf__Id', 'sf__Error', ...columns]
            : columns;
      const rows = kind === 'successful' ? job.successful : kind === 'failed' ? job.failed : job.unprocessed;
      res
        .status(200)
        .type('text/csv')
        .send(toCsv(header, rows, job.lineEnding));
    };
  };
  router.get('/services/data/:version/jobs/ingest/:id/successfulResults', results('successful'));
  router.get('/services/data/:version/jobs/ingest/:id/failedResults', results('failed'));
  router.get('/services/data/:version/jobs/ingest/:id/unprocessedrecords', results('unprocessed'));

  router.delete('/services/data/:version/jobs/ingest/:id', (req, res) => {
    const job = jobOf(param(req, 'id'));
    if (job.state === 'InProgress')
      throw new SfHttpError(400, 'INVALIDJOBSTATE', `Job ${job.id} is in progress and cannot be deleted`);
    jobs.delete(job.id);
    jobStates.delete(job.id);
    res.status(204).end();
  });

  return router;
}
