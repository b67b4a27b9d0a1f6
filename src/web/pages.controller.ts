import path from 'node:path';
import { Controller, Get, Header, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { unrouted } from '../auth/auth.guard.js';
import { Public } from '../auth/route-access.js';
import { AppConfig } from '../config/app-config.js';
import { ASSETS_DIR } from './static-assets.js';

/**
 * The page shells. They hold no data and need no token: each page signs in
 * and then calls the API, which checks the caller. Like every Paliadin
 * route, they do not exist while PALIADIN_ENABLED=false.
 */
@ApiExcludeController()
@Public()
@Controller()
export class PagesController {
  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  @Get('paliadin')
  @Header('Cache-Control', 'no-cache')
  chat(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res, 'chat.html');
  }

  @Get('admin/paliadin')
  @Header('Cache-Control', 'no-cache')
  dashboard(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res, 'dashboard.html');
  }

  @Get('admin/paliadin/sessions/:sid')
  @Header('Cache-Control', 'no-cache')
  session(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res, 'session.html');
  }

  private send(req: Request, res: Response, file: string): void {
    if (!this.config.env.PALIADIN_ENABLED) throw unrouted(req);
    res.sendFile(path.join(ASSETS_DIR, file));
  }
}
