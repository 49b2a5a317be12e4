import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When resync last verified an instance's keys upstream (a list of the project's keys). Resync verifies a budgeted
 * slice of ready instances per cycle, least recently verified first. A table of its own, so these writes touch
 * neither the instances rows (nor their change notifications) nor their `updated_at`.
 */
export class ResyncKeyChecks1764700100000 implements MigrationInterface {
  name = 'ResyncKeyChecks1764700100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE instance_key_checks (
      instance_id uuid PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
      checked_at timestamptz NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE instance_key_checks');
  }
}
