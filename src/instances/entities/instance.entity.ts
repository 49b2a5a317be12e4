import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { Condition, Desired, Instance, InstanceState, MembersBackoff, Protocol, SecretLocation, TargetRequest } from '../model';

@Entity('instances')
@Unique(['app', 'module', 'env'])
export class InstanceEntity implements Instance {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column() app: string;
  @Column() module: string;
  @Column() env: string;
  @Column() plan: string;
  @Column({ type: 'varchar', nullable: true }) upstream: string | null;
  @Column({ type: 'varchar' }) desired: Desired;
  @Column({ type: 'varchar' }) state: InstanceState;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ type: 'int' }) generation: number;
  @Column({ name: 'observed_generation', type: 'int' }) observedGeneration: number;
  @Column({ name: 'team_slug', type: 'varchar', nullable: true }) teamSlug: string | null;
  @Column({ name: 'project_slug', type: 'varchar', nullable: true }) projectSlug: string | null;
  @Column({ name: 'project_id', type: 'varchar', nullable: true }) projectId: string | null;
  @Column({ name: 'project_owned', default: false }) projectOwned: boolean;
  @Column({ name: 'dsn_sealed', type: 'text', nullable: true }) dsnSealed: string | null;
  @Column({ name: 'target_request', type: 'jsonb', nullable: true }) targetRequest: TargetRequest | null;
  @Column({ type: 'jsonb', nullable: true }) secret: SecretLocation | null;
  @Column({ type: 'jsonb', nullable: true }) developers: string[] | null;
  @Column({ name: 'members_synced', type: 'varchar', nullable: true }) membersSynced: string | null;
  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" }) conditions: Condition[];
  @Column({ name: 'members_backoff', type: 'jsonb', nullable: true }) membersBackoff: MembersBackoff | null;
  @Column({ type: 'varchar' }) origin: Protocol;
  @Column({ name: 'external_id', type: 'varchar', nullable: true }) externalId: string | null;
  @Column({ type: 'jsonb', nullable: true }) parameters: Record<string, unknown> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column({ name: 'reconciled_at', type: 'timestamptz', nullable: true }) reconciledAt: Date | null;
}
