import { Body, Controller, Get, Post } from '@nestjs/common';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { CurrentUser } from '../../src/auth/current-user.decorator.js';
import type { Principal } from '../../src/auth/principal.js';
import { AdminRoute, PaliadinRoute, Public, StreamAuth } from '../../src/auth/route-access.js';

/**
 * Routes of each access kind, mounted only in tests, so the guard can be
 * exercised on its own before (and independent of) the product routes.
 */
@Controller('api/paliadin/probe')
export class PaliadinProbeController {
  @Get()
  @PaliadinRoute('paliadin:read')
  read(@CurrentUser() p: Principal) {
    return { userId: p.userId, email: p.email, via: p.via };
  }

  @Post()
  @PaliadinRoute('paliadin:turn')
  write(@CurrentUser() p: Principal) {
    return { userId: p.userId };
  }

  @Get('stream')
  @PaliadinRoute('paliadin:read')
  @StreamAuth()
  stream(@CurrentUser() p: Principal) {
    return { userId: p.userId };
  }
}

@Controller('api/admin/paliadin/probe')
export class AdminProbeController {
  @Get()
  @AdminRoute()
  read(@CurrentUser() p: Principal) {
    return { email: p.email };
  }
}

export class ProbeBody {
  @IsString()
  @MaxLength(5)
  name: string;

  @IsInt()
  @Min(1)
  @Max(10)
  count: number;
}

@Controller('api/probe')
export class UserProbeController {
  @Post('echo')
  echo(@Body() body: ProbeBody) {
    return body;
  }

  @Get('boom')
  boom(): never {
    throw new Error('secret internal detail: connection string postgres://x:y@z');
  }
}

/** A public POST route: anonymous callers spend their client address's rate-limit budget. */
@Controller('api/probe/public')
export class PublicProbeController {
  @Post()
  @Public()
  ping() {
    return { ok: true };
  }
}
