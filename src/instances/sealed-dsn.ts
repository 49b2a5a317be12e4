import { SecretBox } from '../common/crypto';
import { Dsn } from './model';

/** DSNs are stored sealed (AES-GCM) because the legacy form carries the key's secret. */
export const sealDsn = (box: SecretBox, dsn: Dsn): string => box.seal(JSON.stringify(dsn));
export const openDsn = (box: SecretBox, sealed: string | null): Dsn | null => (sealed ? (JSON.parse(box.open(sealed)) as Dsn) : null);
