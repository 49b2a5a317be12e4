import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The webhook view's change feed: a row of instances whose webhook target may have changed (inserted enabled with a
 * Secret, deleted, or desired / secret / app / module / env changed) NOTIFYs its id on `svc_sentry_instances` at commit.
 * State, timestamps and the other columns the reconciler writes on every pass notify nothing.
 */
export class InstancesChangeNotify1764612340000 implements MigrationInterface {
  name = 'InstancesChangeNotify1764612340000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION svc_sentry_instances_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          PERFORM pg_notify('svc_sentry_instances', OLD.id::text);
        ELSE
          PERFORM pg_notify('svc_sentry_instances', NEW.id::text);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER tr_instances_notify_insert AFTER INSERT ON instances FOR EACH ROW
      WHEN (NEW.desired = 'present' AND NEW.secret IS NOT NULL) EXECUTE FUNCTION svc_sentry_instances_notify()`);
    await q.query(`CREATE TRIGGER tr_instances_notify_update AFTER UPDATE ON instances FOR EACH ROW
      WHEN (OLD.desired IS DISTINCT FROM NEW.desired OR OLD.secret IS DISTINCT FROM NEW.secret OR OLD.app IS DISTINCT FROM NEW.app
        OR OLD.module IS DISTINCT FROM NEW.module OR OLD.env IS DISTINCT FROM NEW.env OR OLD.id IS DISTINCT FROM NEW.id)
      EXECUTE FUNCTION svc_sentry_instances_notify()`);
    await q.query(`CREATE TRIGGER tr_instances_notify_delete AFTER DELETE ON instances FOR EACH ROW
      WHEN (OLD.desired = 'present' AND OLD.secret IS NOT NULL) EXECUTE FUNCTION svc_sentry_instances_notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER tr_instances_notify_delete ON instances');
    await q.query('DROP TRIGGER tr_instances_notify_update ON instances');
    await q.query('DROP TRIGGER tr_instances_notify_insert ON instances');
    await q.query('DROP FUNCTION svc_sentry_instances_notify()');
  }
}
