import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { Desired, Key, KeyState } from '../model';

@Entity('keys')
@Unique(['instanceId', 'name'])
export class KeyEntity implements Key {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'instance_id', type: 'uuid' }) instanceId: string;
  @Column() purpose: string;
  @Column({ name: 'binding_id', type: 'varchar', nullable: true }) bindingId: string | null;
  @Column() name: string;
  @Column({ name: 'upstream_key_id', type: 'varchar', nullable: true }) upstreamKeyId: string | null;
  @Column({ type: 'varchar' }) desired: Desired;
  @Column({ type: 'varchar' }) state: KeyState;
  @Column({ name: 'dsn_sealed', type: 'text', nullable: true }) dsnSealed: string | null;
  @Column({ type: 'jsonb', nullable: true }) parameters: Record<string, unknown> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
