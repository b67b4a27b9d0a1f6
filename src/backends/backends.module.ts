import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { PALIADIN_BACKEND } from './backend.interface.js';
import { createBackend } from './backend.factory.js';

@Module({
  providers: [{ provide: PALIADIN_BACKEND, inject: [AppConfig, DataSource], useFactory: createBackend }],
  exports: [PALIADIN_BACKEND],
})
export class BackendsModule {}
