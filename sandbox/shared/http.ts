/**
 * The Express bootstrap both sandbox CRMs share (HubSpot's in hubspot/server.ts, the fake Salesforce
 * org in salesforce/server.ts): the app with Express's own headers and query parsing switched off,
 * the optional request log, the last error handler (each CRM renders its errors in its own shape)
 * and listening on a local port with a `close` that also ends keep-alive connections.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';

/** A sandbox listening on a port. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * An Express 5 app as both CRMs start: without the `X-Powered-By` and ETag headers Express adds of
 * its own accord, and with the plain `querystring` parser (`a[b]=1` stays a key, not a nested object).
 */
export function createSandboxApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  return app;
}

/** One line per request: method, original URL, status, milliseconds. */
export function requestLog(log: (line: string) => void): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      log(`${req.method} ${req.originalUrl} ${res.statusCode} ${Math.round(performance.now() - started)}ms`);
    });
    next();
  };
}

/** A body-parser failure (malformed JSON, too large): it carries a `type` such as `entity.too.large`. */
export interface BodyParserError {
  readonly type: string;
  readonly status: number;
  readonly message: string;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string';
}

/** How one CRM answers the three kinds of error that reach the last handler. */
export interface ErrorRendering {
  /** Answers an error the sandbox threw itself and returns true; false when `err` is not one. */
  readonly known: (err: unknown, res: Response) => boolean;
  /** Answers a body the parser refused. */
  readonly badBody: (err: BodyParserError, res: Response) => void;
  /** Answers anything else (a bug in the sandbox) with a 500. */
  readonly internal: (message: string, res: Response) => void;
}

/** The last middleware: passes on when the answer has started, else renders the error. */
export function errorHandler(rendering: ErrorRendering): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (rendering.known(err, res)) return;
    if (isBodyParserError(err)) {
      rendering.badBody(err, res);
      return;
    }
    rendering.internal(`internal error: ${err instanceof Error ? err.message : String(err)}`, res);
  };
}

/** Listens on `host:port` (port 0: any free port); `onClose` runs first when it is closed. */
export function listen(app: Express, port: number, host: string, onClose?: () => void): Promise<RunningServer> {
  return new Promise<RunningServer>((resolve, reject) => {
    const server = createServer(app);
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${hostPart}:${address.port}`,
        port: address.port,
        close: () =>
          new Promise<void>((done, fail) => {
            onClose?.();
            server.close((err) => {
              if (err === undefined) done();
              else fail(err);
            });
            server.closeAllConnections();
          }),
      });
    });
  });
}
