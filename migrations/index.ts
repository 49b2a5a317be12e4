import { InitialSchema1763770000000 } from './1763770000000-InitialSchema';
import { ProtocolRecords1763900000000 } from './1763900000000-ProtocolRecords';
import { EncryptionCanary1764000000000 } from './1764000000000-EncryptionCanary';
import { InstancesChangeNotify1764612340000 } from './1764612340000-InstancesChangeNotify';
import { ConditionsOwnedMembers1764650000000 } from './1764650000000-ConditionsOwnedMembers';
import { ResyncKeyChecks1764700100000 } from './1764700100000-ResyncKeyChecks';
import { OperationsInstancesIndex1764800000000 } from './1764800000000-OperationsInstancesIndex';

/** Every schema migration, in order. The schema changes only through these. */
export const MIGRATIONS = [
  InitialSchema1763770000000,
  ProtocolRecords1763900000000,
  EncryptionCanary1764000000000,
  InstancesChangeNotify1764612340000,
  ConditionsOwnedMembers1764650000000,
  ResyncKeyChecks1764700100000,
  OperationsInstancesIndex1764800000000,
];
