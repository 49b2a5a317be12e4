import { Controller, HttpCode, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BearerTokenGuard } from '../common/auth/bearer-token.guard';
import { DomainError, ErrorCode } from '../common/domain-error';
import { LegacyMigrationService } from './legacy-migration.service';
import { reportToJson } from './report-json';

const ACCEPTED_TYPES = [
  'application/gzip',
  'application/x-gzip',
  'application/x-tar+gzip',
  'application/zip',
  'application/x-zip-compressed',
  'application/octet-stream',
];

/**
 * POST /api/v1/legacy-migrations — the app archive is the raw request body.
 *
 * - Content-Type: application/gzip (.tar.gz) or application/zip (also x-gzip, x-zip-compressed, octet-stream; the kind
 *   is taken from the bytes).
 * - Query: sdk=raven|sentry-sdk (default raven), dryRun=true, revert=true.
 * - Response (200): JSON `{action, sdk, status, layout, edits, conflicts, notes, diff, archive}` where `archive` is
 *   `{kind, contentType, base64}` of the patched archive, or null on dry run / nothing to change.
 *   With `Accept: application/gzip` or `application/zip` the body is the resulting archive itself (the input unchanged
 *   when nothing changes) and the report travels in `X-Legacy-Layout`, `X-Legacy-Status`, `X-Legacy-Edits`.
 * - Errors: DomainError codes (InvalidInput, PayloadTooLarge, Unsupported, Conflict, Unauthorized) for the app's filter.
 */
@ApiTags('legacy-migrations')
@ApiBearerAuth()
@Controller('api/v1/legacy-migrations')
@UseGuards(BearerTokenGuard)
export class LegacyMigrationController {
  constructor(private readonly service: LegacyMigrationService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Patch a legacy PaaS 2.0 app archive so it reports to SENTRY_DSN',
    description: 'Same core as `svc-sentry migrate-legacy`. Idempotent; `revert=true` removes exactly what the patch added.',
  })
  @ApiConsumes('application/gzip', 'application/zip')
  @ApiProduces('application/json', 'application/gzip', 'application/zip')
  @ApiBody({ description: 'The app as .tar.gz or .zip (raw body)', schema: { type: 'string', format: 'binary' } })
  @ApiQuery({ name: 'sdk', required: false, enum: ['raven', 'sentry-sdk'], description: 'default raven' })
  @ApiQuery({ name: 'dryRun', required: false, type: Boolean })
  @ApiQuery({ name: 'revert', required: false, type: Boolean })
  @ApiResponse({
    status: 200,
    description:
      'JSON report {action, sdk, status, layout, edits, conflicts, notes, diff, archive{kind, contentType, base64}|null}; or the archive itself with Accept: application/gzip|zip',
  })
  @ApiResponse({ status: 400, description: 'InvalidInput: unsafe archive entry, undecodable file to edit, bad query' })
  @ApiResponse({ status: 401, description: 'Missing or unknown bearer token' })
  @ApiResponse({ status: 413, description: 'PayloadTooLarge: per-file or per-tree limit' })
  @ApiResponse({ status: 415, description: 'Unsupported: unknown layout, not an archive, wrong Content-Type' })
  async create(
    @Req() req: Request,
    @Res() res: Response,
    @Query('sdk') sdk?: string,
    @Query('dryRun') dryRun?: string,
    @Query('revert') revert?: string,
  ): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!ACCEPTED_TYPES.includes(type)) {
      throw new DomainError(
        ErrorCode.Unsupported,
        `Content-Type must be application/gzip or application/zip (the app archive as the raw body), not "${type || 'none'}".`,
        {
          contentType: type,
        },
      );
    }
    const archive = await this.readBody(req);
    const result = await this.service.migrate({ archive, sdk, dryRun, revert });
    const report = reportToJson(result.report);
    const accept = String(req.headers.accept ?? '');
    if (/application\/(x-)?(gzip|zip)/.test(accept) && !/application\/json/.test(accept)) {
      res
        .status(200)
        .set({
          'Content-Type': result.contentType,
          'X-Legacy-Layout': report.layout.kind,
          'X-Legacy-Status': report.status,
          'X-Legacy-Edits': String(report.edits.length),
        })
        .send(result.archive ?? archive);
      return;
    }
    res.status(200).json({
      ...report,
      archive: result.archive ? { kind: result.kind, contentType: result.contentType, base64: result.archive.toString('base64') } : null,
    });
  }

  /** The raw body with a size cap (a body parser may already have buffered it). */
  private async readBody(req: Request): Promise<Buffer> {
    const max = this.service.limits.maxTreeBytes;
    const tooLarge = () => new DomainError(ErrorCode.PayloadTooLarge, `The archive is larger than ${max} bytes.`, { limit: max });
    if (Buffer.isBuffer(req.body)) {
      if (req.body.length > max) throw tooLarge();
      return req.body;
    }
    if (Number(req.headers['content-length'] ?? 0) > max) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) {
        req.destroy();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }
}
