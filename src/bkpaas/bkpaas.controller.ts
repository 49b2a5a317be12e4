import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError, ErrorCode } from '../common/domain-error';
import { Caller } from '../instances/instances.service';
import { BkpaasCatalog } from './bkpaas-catalog';
import { BkClient, BkMutation, BkPublic, BkpaasAuthGuard } from './bkpaas-auth.guard';
import { BkpaasErrorFilter } from './bkpaas-error.filter';
import { BkpaasService } from './bkpaas.service';

/** The version of the paas-service protocol we implement (≥2.0.4: idempotent provisioning). */
export const BK_PROTOCOL_VERSION = '2.0.4';

type BkRequest = { bkClient?: BkClient };
const callerOf = (req: BkRequest): Caller => ({ protocol: 'bkpaas', actor: `bkpaas:${req.bkClient?.iss ?? 'unknown'}`, originatingIdentity: null });
const objectBody = (b: unknown): Record<string, unknown> => {
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new DomainError(ErrorCode.InvalidInput, 'the body must be a JSON object');
  return b as Record<string, unknown>;
};

/** BlueKing PaaS 3.0 remote-service endpoints (paths relative to the configured prefix). */
@ApiExcludeController()
@UseGuards(BkpaasAuthGuard)
@UseFilters(BkpaasErrorFilter)
@Controller()
export class BkpaasController {
  constructor(
    private readonly bk: BkpaasService,
    private readonly catalog: BkpaasCatalog,
  ) {}

  @Get('meta_info')
  metaInfo() {
    return { version: BK_PROTOCOL_VERSION, name: 'svc-sentry' };
  }

  @BkPublic()
  @Get('healthz')
  healthz() {
    return { result: true, data: {}, message: 'ok' };
  }

  @Get('services')
  services() {
    return this.catalog.services();
  }

  @BkMutation()
  @Post('services')
  async createService(@Body() body: unknown) {
    return (await this.catalog.upsertService(undefined, objectBody(body))).service;
  }

  @BkMutation()
  @Put('services')
  async putService(@Body() body: unknown) {
    return (await this.catalog.upsertService(undefined, objectBody(body))).service;
  }

  @BkMutation()
  @Put('services/:sid')
  async updateService(@Param('sid') sid: string, @Body() body: unknown) {
    return (await this.catalog.upsertService(sid, objectBody(body))).service;
  }

  @BkMutation()
  @Post('plans')
  async createPlan(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const r = await this.catalog.upsertPlan(undefined, objectBody(body));
    res.status(r.created ? 201 : 200);
    return r.plan;
  }

  @BkMutation()
  @Put('plans/:pid')
  async updatePlan(@Param('pid') pid: string, @Body() body: unknown) {
    return (await this.catalog.upsertPlan(pid, objectBody(body))).plan;
  }

  @BkMutation()
  @Post('services/:sid/instances/idem_prov')
  async idemProv(@Param('sid') sid: string, @Body() body: unknown, @Req() req: BkRequest, @Res({ passthrough: true }) res: Response) {
    const a = await this.bk.idempotentProvision(sid, objectBody(body), callerOf(req));
    res.status(a.status);
    return a.body;
  }

  @BkMutation()
  @Post('services/:sid/instances/:iid')
  async provision(
    @Param('sid') sid: string,
    @Param('iid') iid: string,
    @Body() body: unknown,
    @Req() req: BkRequest,
    @Res({ passthrough: true }) res: Response,
  ) {
    const a = await this.bk.provisionSync(sid, iid, objectBody(body), callerOf(req));
    res.status(a.status);
    return a.body;
  }

  @Get('services/:sid/instances')
  find(@Param('sid') sid: string, @Query('name') name?: string) {
    if (!name) throw new DomainError(ErrorCode.InvalidInput, 'query parameter "name" is required');
    return this.bk.findByName(sid, name);
  }

  @Get('instances/:iid')
  get(@Param('iid') iid: string, @Query('to_be_deleted') tbd?: string) {
    return this.bk.get(iid, /^(1|true|yes)$/i.test(tbd ?? ''));
  }

  @BkMutation()
  @Put('instances/:iid/config')
  putConfig(@Param('iid') iid: string, @Body() body: unknown, @Req() req: BkRequest) {
    return this.bk.putConfig(iid, objectBody(body), callerOf(req));
  }

  @BkMutation()
  @Delete('instances/:iid/async_delete')
  @HttpCode(204)
  async asyncDelete(@Param('iid') iid: string, @Req() req: BkRequest) {
    await this.bk.deleteAsync(iid, callerOf(req));
  }

  @BkMutation()
  @Delete('instances/:iid')
  @HttpCode(204)
  async delete(@Param('iid') iid: string, @Req() req: BkRequest) {
    await this.bk.deleteSync(iid, callerOf(req));
  }

  @BkMutation()
  @Post('services/:sid/client-side-instances/:iid')
  @HttpCode(201)
  registerClientSide(@Param('sid') sid: string, @Param('iid') iid: string, @Body() body: unknown) {
    return this.bk.registerClientSide(sid, iid, objectBody(body));
  }

  @BkMutation()
  @Delete('client-side-instances/:iid')
  @HttpCode(204)
  async forgetClientSide(@Param('iid') iid: string) {
    await this.bk.forgetClientSide(iid);
  }

  @BkPublic()
  @Get('authenticate')
  async authenticate(@Req() req: { bkSsoToken?: string }, @Res() res: Response) {
    // BkpaasModule moved the token out of the URL (so request logs never carry it).
    res.redirect(302, await this.bk.authenticate(req.bkSsoToken));
  }
}
