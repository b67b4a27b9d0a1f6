import { BadRequestException, Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { Principal } from '../auth/principal.js';
import { PaliadinRoute, StreamAuth } from '../auth/route-access.js';
import { ApiErrors } from '../http/api-errors.js';
import { CreateTurnDto, TurnCreatedDto } from './dto/create-turn.dto.js';
import { HistoryQueryDto } from './dto/history-query.dto.js';
import { OkDto, RecoveredTurnDto, TurnHistoryRowDto, TurnViewDto } from './dto/turn-view.dto.js';
import { ApiTurnStream } from './dto/stream-events.dto.js';
import { TurnStream } from './turn-stream.js';
import { TurnService } from './turn.service.js';

const TurnId = () => new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') });

function parseLastEventId(header: string | undefined, query: string | undefined): number {
  const raw = header ?? query;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d{1,9}$/.test(raw.trim())) throw new BadRequestException('Last-Event-ID must be a non-negative integer');
  return Number(raw.trim());
}

@ApiTags('paliadin')
@ApiErrors(401, 403, 404, 503)
@Controller('api/paliadin')
export class TurnsController {
  constructor(
    private readonly turns: TurnService,
    private readonly stream: TurnStream,
  ) {}

  @Post('turn')
  @HttpCode(200)
  @PaliadinRoute('paliadin:turn')
  @ApiOperation({ summary: 'Start a turn', description: 'The turn runs detached from this request; read it from sse_url.' })
  @ApiOkResponse({ type: TurnCreatedDto })
  @ApiErrors(400, 429)
  start(@CurrentUser() user: Principal, @Body() dto: CreateTurnDto): Promise<TurnCreatedDto> {
    return this.turns.start(user, dto);
  }

  @Get('stream/:id')
  @PaliadinRoute('paliadin:read')
  @StreamAuth()
  @ApiOperation({
    summary: 'The turn as Server-Sent Events',
    description:
      'Events meta, thinking, content, end, error (id = seq) and ping (no id). Reconnect with Last-Event-ID ' +
      '(or ?last_event_id=) to get every later event exactly once. A finished turn replays and closes.',
  })
  @ApiProduces('text/event-stream')
  @ApiTurnStream()
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  @ApiQuery({ name: 'last_event_id', required: false, type: Number })
  @ApiErrors(400)
  async open(
    @CurrentUser() user: Principal,
    @Param('id', TurnId()) id: string,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Query('last_event_id') lastEventIdQuery: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const after = parseLastEventId(lastEventIdHeader, lastEventIdQuery);
    // Checked before the first byte, so an unknown or foreign turn is a real 404 (and a busy database a real 503).
    await this.turns.checkOwner(user, id);
    this.stream.open(id, after, res);
  }

  @Get('turns/:id')
  @PaliadinRoute('paliadin:read')
  @ApiOkResponse({ type: TurnViewDto })
  @ApiErrors(400)
  get(@CurrentUser() user: Principal, @Param('id', TurnId()) id: string): Promise<TurnViewDto> {
    return this.turns.get(user, id);
  }

  @Get('turns/:id/recover')
  @PaliadinRoute('paliadin:read')
  @ApiOperation({ summary: 'The turn plus recovery_state: recovered, pending or lost' })
  @ApiOkResponse({ type: RecoveredTurnDto })
  @ApiErrors(400)
  recover(@CurrentUser() user: Principal, @Param('id', TurnId()) id: string): Promise<RecoveredTurnDto> {
    return this.turns.recover(user, id);
  }

  @Post('turns/:id/cancel')
  @HttpCode(200)
  @PaliadinRoute('paliadin:turn')
  @ApiOperation({ summary: 'Stop a running turn', description: 'A finished turn is left as it is; the row is returned either way.' })
  @ApiOkResponse({ type: TurnViewDto })
  @ApiErrors(400, 429)
  cancel(@CurrentUser() user: Principal, @Param('id', TurnId()) id: string): Promise<TurnViewDto> {
    return this.turns.cancel(user, id);
  }

  @Get('history')
  @PaliadinRoute('paliadin:read')
  @ApiOperation({ summary: "The caller's turns of one browser session, oldest first" })
  @ApiOkResponse({ type: [TurnHistoryRowDto] })
  @ApiErrors(400)
  history(@CurrentUser() user: Principal, @Query() q: HistoryQueryDto): Promise<TurnHistoryRowDto[]> {
    return this.turns.history(user, q);
  }

  @Post('reset')
  @HttpCode(200)
  @PaliadinRoute('paliadin:turn')
  @ApiOperation({ summary: "End the caller's agent session; the next turn starts a fresh one" })
  @ApiOkResponse({ type: OkDto })
  @ApiErrors(400, 429, 502)
  reset(@CurrentUser() user: Principal): Promise<{ ok: true }> {
    return this.turns.reset(user);
  }
}
