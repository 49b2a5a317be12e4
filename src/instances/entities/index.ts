import { AttachmentEntity } from './attachment.entity';
import { InstanceEntity } from './instance.entity';
import { KeyEntity } from './key.entity';
import { OperationEntity } from './operation.entity';

export { AttachmentEntity, InstanceEntity, KeyEntity, OperationEntity };
export const ENTITIES = [AttachmentEntity, InstanceEntity, KeyEntity, OperationEntity];
