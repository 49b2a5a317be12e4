import { MigrationInterface, QueryRunner } from 'typeorm';

/** Platform protocols: binding parameters on keys, and BlueKing catalog/client-side records. */
export class ProtocolRecords1763900000000 implements MigrationInterface {
  name = 'ProtocolRecords1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE keys ADD COLUMN parameters jsonb`);
    await q.query(`CREATE INDEX ix_keys_binding ON keys (binding_id) WHERE binding_id IS NOT NULL`);
    await q.query(`CREATE INDEX ix_instances_external ON instances (external_id) WHERE external_id IS NOT NULL`);
    await q.query(`CREATE TABLE bkpaas_records (
      kind varchar NOT NULL, id varchar NOT NULL, data jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (kind, id),
      CONSTRAINT ck_bkpaas_records_kind CHECK (kind IN ('service','plan','client-side')))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE bkpaas_records');
    await q.query('DROP INDEX ix_instances_external');
    await q.query('DROP INDEX ix_keys_binding');
    await q.query('ALTER TABLE keys DROP COLUMN parameters');
  }
}
