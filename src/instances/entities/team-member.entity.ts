import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A team member svc-sentry added upstream itself: the only members it ever removes. */
@Entity('team_members_added')
export class TeamMemberAddedEntity {
  @PrimaryColumn({ type: 'varchar' }) upstream: string;
  @PrimaryColumn({ type: 'varchar' }) team: string;
  @PrimaryColumn({ type: 'varchar' }) email: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
