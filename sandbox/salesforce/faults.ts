/**
 * Lost answers, injectable per step (off by default). A rule names a route as `endpointOf` shapes
 * it (e.g. `PUT /services/data/vXX.X/jobs/ingest/:jobId/batches`), optionally narrowed by the
 * request's JSON body (`{ state: 'UploadComplete' }` picks a Bulk 2.0 close out of the PATCHes),
 * and says when the connection drops:
 * - `answer` (default): the org does the work — the job is created, the data stored, the state
 *   changed, the API call counted — then the connection is dropped instead of the response. This is
 *   the case a blind retry gets wrong: the client cannot tell it from a request that never arrived.
 * - `request`: the connection is dropped before the org sees the request (nothing happens).
 *
 * With `status` (e.g. 502) the answer is replaced by a proxy's error page with that status instead
 * of a dropped connection — the work is done all the same. jsforce retries a GET or PUT answered
 * 5xx on its own (`src/request.ts`), which for a Bulk 2.0 upload means a second PUT of the data.
 *
 * A client sees both as a network error (`UND_ERR_SOCKET` / "other side closed"), as with a real
 * org when a keep-alive connection, a proxy or a load balancer drops mid-request.
 */
import type { NextFunction, Request, Response } from 'express';
import { endpointOf } from './stats.ts';

export interface LostAnswer {
  /** `METHOD /services/data/vXX.X/…` as `endpointOf` shapes it. */
  readonly endpoint: string;
  /** Only requests whose JSON body has these top-level values. */
  readonly body?: Readonly<Record<string, unknown>>;
  /** When the connection drops (default `answer`: after the org did the work). */
  readonly stage?: 'answer' | 'request';
  /** How many matching requests lose their answer (default 1). */
  times?: number;
  /** Answer with this status and a proxy's HTML page instead of dropping the connection. */
  readonly status?: number;
}

function matches(rule: LostAnswer, req: Request): boolean {
  if (endpointOf(req.method, req.originalUrl.split('?')[0] ?? '') !== rule.endpoint) return false;
  if (rule.body === undefined) return true;
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null) return false;
  return Object.entries(rule.body).every(([key, value]) => (body as Record<string, unknown>)[key] === value);
}

/** Drops the connection of requests matching a rule; `lost` counts the answers dropped. */
export function lostAnswers(
  rules: LostAnswer[],
  counter: { lost: number },
): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const rule = rules.find((candidate) => (candidate.times ?? 1) > 0 && matches(candidate, req));
    if (rule === undefined) {
      next();
      return;
    }
    rule.times = (rule.times ?? 1) - 1;
    counter.lost++;
    if (rule.stage === 'request') {
      req.socket.destroy();
      return;
    }
    // Let the handler do its work; whatever it answers never reaches the client.
    const end = res.end.bind(res);
    const status = rule.status;
    const drop = (): Response => {
      if (status === undefined) {
        req.socket.destroy();
        return res;
      }
      res.statusCode = status;
      res.removeHeader('content-length');
      res.setHeader('content-type', 'text/html');
      return end(`<html><body><h1>${status} Bad Gateway</h1></body></html>`);
    };
    res.end = drop;
    res.write = () => {
      req.socket.destroy();
      return false;
    };
    next();
  };
}
