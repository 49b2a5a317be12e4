import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Operation, OperationState, Protocol } from '../model';

@Entity('operations')
@Index(['app', 'createdAt'])
export class OperationEntity implements Operation {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column() kind: string;
  @Column() app: string;
  @Column({ type: 'varchar', nullable: true }) module: string | null;
  @Column({ type: 'varchar' }) protocol: Protocol;
  @Column() actor: string;
  @Column({ name: 'originating_identity', type: 'jsonb', nullable: true }) originatingIdentity: Record<string, unknown> | null;
  @Column({ type: 'jsonb' }) request: Record<string, unknown>;
  @Column({ type: 'jsonb' }) instances: Record<string, number>;
  @Column({ type: 'varchar' }) state: OperationState;
  @Column({ type: 'text', nullable: true }) description: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
}
