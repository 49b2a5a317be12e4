import { Body, Controller, Delete, Get, Param, Patch, Put, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { AppConfig } from '../config/config.schema';
import { OsbGuard, OsbRequest } from './osb-auth';
import { OsbBindingsService } from './osb-bindings.service';
import { osbCatalog } from './osb-catalog';
import { OsbErrorFilter } from './osb-error.filter';
import { OsbAnswer, OsbInstancesService } from './osb-instances.service';

const send = (res: Response, a: OsbAnswer) => {
  if (a.retryAfter) res.setHeader('Retry-After', String(a.retryAfter));
  res.status(a.status);
  return a.body;
};
type Q = Record<string, unknown>;

/** Open Service Broker API v2 (2.13–2.17). */
@ApiExcludeController()
@UseGuards(OsbGuard)
@UseFilters(OsbErrorFilter)
@Controller('v2')
export class OsbController {
  constructor(
    private readonly config: AppConfig,
    private readonly instances: OsbInstancesService,
    private readonly bindings: OsbBindingsService,
  ) {}

  @Get('catalog')
  catalog(@Req() req: OsbRequest) {
    return osbCatalog(req.osb!.minor, this.config.environments);
  }

  @Put('service_instances/:iid')
  async provision(@Param('iid') iid: string, @Body() body: unknown, @Query() q: Q, @Req() req: OsbRequest, @Res({ passthrough: true }) res: Response) {
    return send(res, await this.instances.provision(iid, body, q.accepts_incomplete, req.osb!));
  }

  @Patch('service_instances/:iid')
  async update(@Param('iid') iid: string, @Body() body: unknown, @Query() q: Q, @Req() req: OsbRequest, @Res({ passthrough: true }) res: Response) {
    return send(res, await this.instances.update(iid, body, q.accepts_incomplete, req.osb!));
  }

  @Delete('service_instances/:iid')
  async deprovision(@Param('iid') iid: string, @Query() q: Q, @Req() req: OsbRequest, @Res({ passthrough: true }) res: Response) {
    return send(res, await this.instances.deprovision(iid, q, req.osb!));
  }

  @Get('service_instances/:iid/last_operation')
  async lastOperation(@Param('iid') iid: string, @Query() q: Q, @Req() req: OsbRequest, @Res({ passthrough: true }) res: Response) {
    return send(res, await this.instances.lastOperation(iid, q, req.osb!));
  }

  @Get('service_instances/:iid')
  async get(@Param('iid') iid: string, @Req() req: OsbRequest, @Res({ passthrough: true }) res: Response) {
    return send(res, await this.instances.get(iid, req.osb!));
  }

  @Put('service_instances/:iid/service_bindings/:bid')
  async bind(
    @Param('iid') iid: string,
    @Param('bid') bid: string,
    @Body() body: unknown,
    @Query() q: Q,
    @Req() req: OsbRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    return send(res, await this.bindings.bind(iid, bid, body, q.accepts_incomplete, req.osb!));
  }

  @Delete('service_instances/:iid/service_bindings/:bid')
  async unbind(@Param('iid') iid: string, @Param('bid') bid: string, @Query() q: Q, @Req() req: OsbRequest, @Res({ passthrough: true }) res: Response) {
    return send(res, await this.bindings.unbind(iid, bid, q, req.osb!));
  }

  @Get('service_instances/:iid/service_bindings/:bid/last_operation')
  async bindingLastOperation(
    @Param('iid') iid: string,
    @Param('bid') bid: string,
    @Query() q: Q,
    @Req() req: OsbRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    return send(res, await this.bindings.lastOperation(iid, bid, q, req.osb!));
  }

  @Get('service_instances/:iid/service_bindings/:bid')
  async getBinding(@Param('iid') iid: string, @Param('bid') bid: string, @Req() req: OsbRequest, @Res({ passthrough: true }) res: Response) {
    return send(res, await this.bindings.get(iid, bid, req.osb!));
  }
}
