import { Module } from '@nestjs/common';

/** Stats, the all-users turn list and the dashboard (admin issue). */
@Module({})
export class AdminModule {}
