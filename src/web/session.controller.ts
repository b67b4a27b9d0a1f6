import { Controller, Delete, ForbiddenException, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { Principal } from '../auth/principal.js';
import { PaliadinRoute, Public, TOKEN_COOKIE } from '../auth/route-access.js';
import { AppConfig } from '../config/app-config.js';
import { ApiErrors } from '../http/api-errors.js';

// The cookie only travels to the stream route: EventSource is the one client that cannot send a header
// (the pages themselves read streams with the client SDK and the Authorization header).
const COOKIE_PATH = '/api/paliadin/stream';
const COOKIE_MAX_AGE_MS = 12 * 3600_000;

/**
 * The pages' sign-in: the token arrives in the Authorization header (never in
 * a URL), is checked like on every route, and is set as an HttpOnly cookie
 * for the SSE stream. It is guarded like the stream it serves (the owner
 * gate, PALIADIN_ENABLED), and takes user tokens only: an API key belongs in
 * an integration's Authorization header, not in a browser's cookie jar.
 */
@ApiTags('auth')
@Controller('auth/session')
export class SessionController {
  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  @Post()
  @HttpCode(200)
  @PaliadinRoute('paliadin:read')
  @ApiOperation({ summary: 'Sign in a browser: sets the HttpOnly stream cookie from the bearer token (a user JWT; API keys are refused)' })
  @ApiOkResponse({ schema: { example: { ok: true, email: 'you@example.com' } } })
  @ApiErrors(400, 401, 403, 404, 429, 503)
  signIn(
    @CurrentUser() user: Principal,
    @Headers('authorization') authorization: string,
    @Res({ passthrough: true }) res: Response,
  ): { ok: true; email: string } {
    if (user.via === 'api_key') throw new ForbiddenException('An API key cannot sign in a browser; sign in with a user token (JWT)');
    const token = authorization.replace(/^Bearer\s+/i, '').trim();
    res.cookie(TOKEN_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.config.isProduction,
      path: COOKIE_PATH,
      maxAge: COOKIE_MAX_AGE_MS,
    });
    return { ok: true, email: user.email };
  }

  @Delete()
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out a browser: clears the stream cookie' })
  @ApiNoContentResponse()
  signOut(@Res({ passthrough: true }) res: Response): void {
    res.clearCookie(TOKEN_COOKIE, { path: COOKIE_PATH });
  }
}
