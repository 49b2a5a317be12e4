import { HttpAdapterHost } from '@nestjs/core';
import { json } from 'express';
import type { NextFunction, Request, Response } from 'express';

/**
 * Mounts a JSON body parser in front of the global one for one protocol's path prefix, so that a
 * body that cannot be parsed is answered in that protocol's error shape (the global parser then
 * skips the already-parsed request). Call it while the module is constructed, before createApp
 * registers the global parser.
 */
export function mountProtocolJson(host: HttpAdapterHost, prefix: string, onError: (err: { type?: string }, req: Request, res: Response) => void): void {
  const parse = json({ limit: '1mb', type: ['application/json', 'application/*+json'] });
  const path = prefix.replace(/\/+$/, '') || '/';
  host.httpAdapter.getInstance().use(path, (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => (err ? onError(err as { type?: string }, req, res) : next()));
  });
}
