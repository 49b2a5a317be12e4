import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from './dto';
import { INSTANCE_STATES } from '../instances/model';

/** Filters of the module list; paging (offset, limit) as on every paged endpoint. */
export class ModuleListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only app modules whose app code contains this text.', example: 'tnfood' })
  @IsOptional()
  @Matches(/^[a-z0-9-]*$/, { message: 'app may only contain lowercase letters, digits and "-"' })
  @MaxLength(63)
  app?: string;

  @ApiPropertyOptional({ description: 'Only this module.', example: 'default' })
  @IsOptional()
  @Matches(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'module must be a DNS-1123 label' })
  @MaxLength(63)
  module?: string;

  @ApiPropertyOptional({ description: 'Only app modules with at least one environment in this state.', enum: INSTANCE_STATES })
  @IsOptional()
  @IsIn(INSTANCE_STATES, { message: `state must be one of ${INSTANCE_STATES.join(', ')}` })
  state?: (typeof INSTANCE_STATES)[number];
}

export class ModuleSummaryDto {
  @ApiProperty() app: string;
  @ApiProperty() module: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty() plan: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', enum: [...INSTANCE_STATES] }, example: { stag: 'ready', prod: 'provisioning' } })
  environments: Record<string, string>;
  @ApiProperty() updatedAt: string;
}

export class ModulePageDto {
  @ApiProperty({ type: [ModuleSummaryDto] }) items: ModuleSummaryDto[];
  @ApiProperty() total: number;
  @ApiProperty() offset: number;
  @ApiProperty() limit: number;
}

export class PlanSummaryDto {
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: [String] }) environments: string[];
}
