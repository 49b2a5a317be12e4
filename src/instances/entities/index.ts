import { AttachmentEntity } from './attachment.entity';
import { InstanceEntity } from './instance.entity';
import { KeyEntity } from './key.entity';
import { OperationEntity } from './operation.entity';
import { TeamMemberAddedEntity } from './team-member.entity';

export { AttachmentEntity, InstanceEntity, KeyEntity, OperationEntity, TeamMemberAddedEntity };
export const ENTITIES = [AttachmentEntity, InstanceEntity, KeyEntity, OperationEntity, TeamMemberAddedEntity];
