import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { Attachment, TargetRequest } from '../model';

@Entity('attachments')
@Unique(['app', 'module'])
export class AttachmentEntity implements Attachment {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column() app: string;
  @Column() module: string;
  @Column() enabled: boolean;
  @Column() plan: string;
  @Column({ type: 'jsonb', nullable: true }) developers: string[] | null;
  @Column({ type: 'jsonb', nullable: true }) targets: Record<string, TargetRequest> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
