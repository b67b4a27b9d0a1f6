import { Controller, Get, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminRoute } from '../auth/route-access.js';
import { AdminStatsService } from './admin-stats.service.js';
import { AdminTurnRowDto, AdminTurnsQueryDto, PaliadinStatsDto } from './dto/stats.dto.js';

/** Operators' view: an owner, or an API key with `paliadin:admin` / `admin`; everyone else gets the unrouted 404. */
@ApiTags('admin')
@ApiNotFoundResponse({ description: 'Not an owner or admin key (the same 404 as an unknown path)' })
@AdminRoute()
@Controller('api/admin/paliadin')
export class AdminController {
  constructor(private readonly stats: AdminStatsService) {}

  @Get('stats')
  @ApiOperation({ summary: 'Aggregate turn statistics (DESIGN section 6)' })
  @ApiOkResponse({ type: PaliadinStatsDto })
  getStats(): Promise<PaliadinStatsDto> {
    return this.stats.stats();
  }

  @Get('turns')
  @ApiOperation({ summary: 'The newest turns of all users' })
  @ApiOkResponse({ type: [AdminTurnRowDto] })
  turns(@Query() q: AdminTurnsQueryDto): Promise<AdminTurnRowDto[]> {
    return this.stats.recentTurns(q.limit ?? 50);
  }
}
