import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { BearerTokenGuard } from '../common/auth/bearer-token.guard';
import { InstancesService } from '../instances/instances.service';
import { Operation } from '../instances/model';
import { OperationDto, OperationPageDto, PageQueryDto, ProblemDto } from './dto';

const toDto = (o: Operation): OperationDto => ({
  id: o.id,
  kind: o.kind,
  app: o.app,
  module: o.module,
  protocol: o.protocol,
  actor: o.actor,
  originatingIdentity: o.originatingIdentity,
  request: o.request,
  state: o.state,
  description: o.description,
  createdAt: o.createdAt.toISOString(),
  finishedAt: o.finishedAt ? o.finishedAt.toISOString() : null,
});

@ApiTags('operations')
@ApiBearerAuth()
@UseGuards(BearerTokenGuard)
@ApiResponse({ status: 401, description: 'Missing or unknown bearer token', type: ProblemDto })
@Controller('api/v1')
export class OperationsController {
  constructor(private readonly instances: InstancesService) {}

  @Get('operations/:id')
  @ApiOperation({ summary: 'One operation and its state' })
  @ApiResponse({ status: 200, type: OperationDto })
  @ApiResponse({ status: 404, type: ProblemDto })
  async get(@Param('id') id: string): Promise<OperationDto> {
    return toDto(await this.instances.operation(id));
  }

  @Get('apps/:app/audit')
  @ApiOperation({
    summary: "An app's operations, newest first",
    description: 'Paginated with offset and limit; a `Link: <…>; rel="next"` header points at the next page.',
  })
  @ApiResponse({ status: 200, type: OperationPageDto })
  @ApiResponse({ status: 400, description: 'offset or limit out of range, or not an integer', type: ProblemDto })
  async audit(@Param('app') app: string, @Query() q: PageQueryDto, @Res({ passthrough: true }) res: Response): Promise<OperationPageDto> {
    const page = await this.instances.audit(app, q.offset, q.limit);
    if (q.offset + q.limit < page.total) {
      res.setHeader('Link', `</api/v1/apps/${encodeURIComponent(app)}/audit?offset=${q.offset + q.limit}&limit=${q.limit}>; rel="next"`);
    }
    return { items: page.items.map(toDto), total: page.total, offset: q.offset, limit: q.limit };
  }
}
