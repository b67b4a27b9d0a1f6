import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKey } from './api-key.entity.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuthGuard } from './auth.guard.js';
import { JwtVerifier } from './jwt-verifier.js';
import { User } from './user.entity.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([User, ApiKey])],
  providers: [JwtVerifier, UsersService, ApiKeysService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [JwtVerifier, UsersService, ApiKeysService],
})
export class AuthModule {}
