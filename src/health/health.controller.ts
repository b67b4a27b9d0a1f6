import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator, type HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';
import { JwtVerifier } from '../auth/jwt-verifier.js';
import { Public } from '../auth/route-access.js';
import { PALIADIN_BACKEND, type PaliadinBackend } from '../backends/backend.interface.js';

/** Liveness and readiness: the database answers, and the backend can take turns. */
@ApiTags('health')
@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(PALIADIN_BACKEND) private readonly backend: PaliadinBackend,
    private readonly jwt: JwtVerifier,
  ) {}

  @Get()
  @ApiOkResponse({ description: 'Everything is up (the backend may report `disabled`)' })
  @ApiServiceUnavailableResponse({ description: 'The database or the backend is down; the body says which' })
  async check(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult> {
    try {
      const checks = [() => this.db.pingCheck('database', { timeout: 1500 }), () => this.backendHealth()];
      return await this.health.check(this.jwt.jwksState().length > 0 ? [...checks, () => this.jwksHealth()] : checks);
    } catch (e) {
      // Terminus reports "down" as a 503 whose body is the full result; keep that body.
      if (e instanceof ServiceUnavailableException) {
        res.status(503);
        return e.getResponse() as HealthCheckResult;
      }
      throw e;
    }
  }

  /**
   * The identity providers' key sets, as an operator wants to see them: how
   * many keys, when fetched, what went wrong last. Never "down": tokens
   * whose keys were fetched before still verify while a provider is away,
   * and HS256 tokens do not need it, so the instance stays ready.
   */
  private jwksHealth() {
    const sets = this.jwt.jwksState();
    return this.indicators.check('jwks').up({ reachable: sets.every((s) => !s.error && s.fetched_at !== null), sets });
  }

  private async backendHealth() {
    const session = this.indicators.check('backend');
    const h = await this.backend.health().catch((e: unknown) => ({ status: 'down' as const, detail: String(e) }));
    const data = { kind: this.backend.kind, state: h.status, ...(h.detail ? { detail: h.detail } : {}) };
    return h.status === 'down' ? session.down(data) : session.up(data);
  }
}
