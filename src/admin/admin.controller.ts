import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminRoute } from '../auth/route-access.js';
import { ApiErrors } from '../http/api-errors.js';
import { AdminStatsService } from './admin-stats.service.js';
import { AdminTurnRowDto, AdminTurnsQueryDto, PaliadinStatsDto } from './dto/stats.dto.js';

/** Operators' view: an owner, or an API key with `paliadin:admin` / `admin`; everyone else gets the unrouted 404. */
@ApiTags('admin')
// Admin routes answer every caller who may not use them with the unrouted 404, never a 401 or 403.
@ApiErrors(404, 503)
@AdminRoute()
@Controller('api/admin/paliadin')
export class AdminController {
  constructor(private readonly stats: AdminStatsService) {}

  @Get('stats')
  @ApiOperation({
    summary: 'Aggregate turn statistics',
    description:
      '*_24h, by_error_code and duration_ms cover the last 24 hours; by_classifier_tag, by_backend and top_tools the last 7 days; ' +
      'turns_per_day 14 UTC days, today last (docs/api.md in the repository).',
  })
  @ApiOkResponse({ type: PaliadinStatsDto })
  getStats(): Promise<PaliadinStatsDto> {
    return this.stats.stats();
  }

  @Get('turns')
  @ApiOperation({ summary: 'The newest turns of all users' })
  @ApiOkResponse({ type: [AdminTurnRowDto] })
  @ApiErrors(400)
  turns(@Query() q: AdminTurnsQueryDto): Promise<AdminTurnRowDto[]> {
    return this.stats.recentTurns(q.limit ?? 50);
  }
}
