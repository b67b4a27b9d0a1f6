import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
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
import { PostRateLimitModule } from './http/post-rate-limit.js';
import { createValidationPipe } from './http/validation.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PaliadinModule } from './paliadin/paliadin.module.js';
import { RequestsModule } from './requests/requests.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

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
        MetricsModule,
        ScheduleModule.forRoot(),
        AuthModule,
        // After AuthModule: the limit counts per caller, so the auth guard must run first.
        PostRateLimitModule,
        BackendsModule,
        HealthModule,
        PaliadinModule,
        SessionsModule,
        RequestsModule,
        WebhooksModule,
        AdminModule,
        WebModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ErrorEnvelopeFilter },
      ],
    };
  }
}
