import { Module } from '@nestjs/common';
import { PagesController } from './pages.controller.js';
import { SessionController } from './session.controller.js';

/** The chat page, the dashboard and their sign-in. */
@Module({ controllers: [PagesController, SessionController] })
export class WebModule {}
