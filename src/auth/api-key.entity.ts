import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Scope } from './scopes.js';

/** An API key. Only its SHA-256 hash is stored; `prefix` finds the row. */
@Entity('api_keys')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'user_id' })
  userId: string;

  @Column('text')
  name: string;

  @Column('text', { unique: true })
  prefix: string;

  @Column('text')
  hash: string;

  @Column('text', { array: true })
  scopes: Scope[];

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
