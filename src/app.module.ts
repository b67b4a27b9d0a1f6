import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { AdminModule } from './admin/admin.module.js';
import { WebModule } from './web/web.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BackendsModule } from './backends/backends.module.js';
import { AppConfig } from './config/app-config.js';
import { AppConfigModule, type ConfigOptions } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { ErrorEnvelopeFilter } from './http/error-envelope.filter.js';
import { loggerOptions } from './http/logger-options.js';
import { postRateLimit } from './http/post-rate-limit.js';
import { createValidationPipe } from './http/validation.js';
import { PaliadinModule } from './paliadin/paliadin.module.js';

@Module({})
export class AppModule {
  /** `env` replaces process.env and .env (tests start apps with their own settings). */
  static register(options: ConfigOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(options),
        LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerOptions }),
        DatabaseModule,
        ScheduleModule.forRoot(),
        ThrottlerModule.forRootAsync({ inject: [AppConfig], useFactory: postRateLimit }),
        AuthModule,
        BackendsModule,
        HealthModule,
        PaliadinModule,
        AdminModule,
        WebModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ErrorEnvelopeFilter },
        // Auth runs first (AuthModule's APP_GUARD), then the POST rate limit.
        { provide: APP_GUARD, useClass: ThrottlerGuard },
      ],
    };
  }
}
