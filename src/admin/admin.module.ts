import { Module } from '@nestjs/common';
import { AdminStatsService } from './admin-stats.service.js';
import { AdminController } from './admin.controller.js';

/** Stats and the all-users turn list; the dashboard page lives with the other pages (web/). */
@Module({
  controllers: [AdminController],
  providers: [AdminStatsService],
})
export class AdminModule {}
