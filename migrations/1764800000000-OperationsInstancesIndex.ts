import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The operations that touched an instance (`instances ? <id>`): every reconcile pass settles its instance's open
 * operations, and OSB's last_operation reads the latest one. Without an index each was a scan of the whole audit trail,
 * which only grows (2 ms at 3,000 operations in bench:api, and growing with every toggle).
 */
export class OperationsInstancesIndex1764800000000 implements MigrationInterface {
  name = 'OperationsInstancesIndex1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX operations_instances ON operations USING gin (instances)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX operations_instances');
  }
}
