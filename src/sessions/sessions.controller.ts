import { ApiSessionStream } from './dto/session-stream-events.dto.js';
import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { Principal } from '../auth/principal.js';
import { PaliadinRoute, StreamAuth } from '../auth/route-access.js';
import { ApiErrors } from '../http/api-errors.js';
import {
  CheckinDto,
  CreateSessionDto,
  CreatedSessionDto,
  ExecDto,
  ExecStartedDto,
  ListSessionsQueryDto,
  SessionDto,
  SessionListDto,
  ScreenDto,
  TerminatedDto,
} from './dto/session.dto.js';
import { SessionScreen } from './session-screen.js';
import { SessionsService } from './sessions.service.js';
import { SessionStream, parseSessionEventId } from './session-stream.js';

const SessionId = () => new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('sid must be a UUID') });

/**
 * The session lifecycle API (docs/sessions.md). Scopes: `sessions:read` to
 * look, `sessions:execute` to create, drive and check in, `admin` to
 * force-terminate; a user's own token may do all but the last.
 */
@ApiTags('sessions')
@ApiErrors(401, 403, 404, 503)
@Controller('api/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly stream: SessionStream,
    private readonly screens: SessionScreen,
  ) {}

  @Get()
  @PaliadinRoute('sessions:read')
  @ApiOperation({ summary: 'Your sessions, newest first (admins: everyone’s, or one user’s)', description: 'Scope: sessions:read.' })
  @ApiOkResponse({ type: SessionListDto })
  @ApiErrors(400)
  async list(@CurrentUser() user: Principal, @Query() q: ListSessionsQueryDto): Promise<SessionListDto> {
    return { sessions: await this.sessions.list(user, q) };
  }

  @Post()
  @PaliadinRoute('sessions:execute')
  @ApiOperation({ summary: 'Create a session', description: 'Scope: sessions:execute. 409 SESSION_EXISTS when you have an active session of that name.' })
  @ApiCreatedResponse({ type: CreatedSessionDto })
  @ApiErrors(400, 409, 429)
  create(@CurrentUser() user: Principal, @Body() dto: CreateSessionDto): Promise<CreatedSessionDto> {
    return this.sessions.create(user, dto);
  }

  @Get(':sid')
  @PaliadinRoute('sessions:read')
  @ApiOperation({ summary: 'One session', description: 'Scope: sessions:read. Another user’s session is a 404 (admins see all).' })
  @ApiOkResponse({ type: SessionDto })
  @ApiErrors(400)
  get(@CurrentUser() user: Principal, @Param('sid', SessionId()) sid: string): Promise<SessionDto> {
    return this.sessions.get(user, sid);
  }

  @Post(':sid/exec')
  @HttpCode(200)
  @PaliadinRoute('sessions:execute')
  @ApiOperation({
    summary: 'Run a turn in the session',
    description:
      'Scope: sessions:execute. The same durable turn pipeline as POST /api/paliadin/turn: read sse_url, cancel and recover as any turn. One turn at a time per session; later ones wait their turn.',
  })
  @ApiOkResponse({ type: ExecStartedDto })
  @ApiErrors(400, 429)
  exec(@CurrentUser() user: Principal, @Param('sid', SessionId()) sid: string, @Body() dto: ExecDto): Promise<ExecStartedDto> {
    return this.sessions.exec(user, sid, dto);
  }

  @Get(':sid/events')
  @PaliadinRoute('sessions:read')
  @StreamAuth()
  @ApiOperation({
    summary: 'The session as Server-Sent Events',
    description:
      "Scope: sessions:read. `session` (status changes) and `turn` (a turn began) with id N, then each turn's events " +
      '(content, thinking, tool, end, error, with turn_id) with id N.M. Resume with Last-Event-ID (or ?last_event_id=); ' +
      'an ended session replays and closes.',
  })
  @ApiProduces('text/event-stream')
  @ApiSessionStream()
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  @ApiQuery({ name: 'last_event_id', required: false, type: String })
  @ApiErrors(400)
  async events(
    @CurrentUser() user: Principal,
    @Param('sid', SessionId()) sid: string,
    @Headers('last-event-id') header: string | undefined,
    @Query('last_event_id') query: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const raw = header ?? query;
    const from = raw === undefined || raw === '' ? { n: 0, m: 0 } : parseSessionEventId(raw);
    if (!from) throw new BadRequestException('Last-Event-ID must be N or N.M (non-negative integers)');
    // Before the first byte: another user's session is a real 404.
    await this.sessions.find(user, sid);
    this.stream.open(sid, from, res);
  }

  @Get(':sid/screen')
  @PaliadinRoute('sessions:read')
  @ApiOperation({
    summary: "The agent's terminal now",
    description:
      'Scope: sessions:read. The local pty driver and the remote backend have one; the others answer 409 NO_TERMINAL (read the events instead). ' +
      "409 NO_SCREEN while the session's agent is not running (here); 400 when the session has ended.",
  })
  @ApiOkResponse({ type: ScreenDto })
  @ApiErrors(400, 409)
  async screen(@CurrentUser() user: Principal, @Param('sid', SessionId()) sid: string): Promise<ScreenDto> {
    return this.screens.now(await this.sessions.find(user, sid));
  }

  @Get(':sid/screen/stream')
  @PaliadinRoute('sessions:read')
  @StreamAuth()
  @ApiOperation({
    summary: "The agent's terminal as Server-Sent Events",
    description:
      'Scope: sessions:read. `screen` events (the shape of GET …/screen) whenever it changed, at most 10 a second; not stored, no id; ' +
      'pings while idle; closes when the session ends. 409 NO_TERMINAL for drivers without a terminal.',
  })
  @ApiProduces('text/event-stream')
  @ApiErrors(400, 409)
  async screenStream(@CurrentUser() user: Principal, @Param('sid', SessionId()) sid: string, @Res() res: Response): Promise<void> {
    this.screens.open(await this.sessions.find(user, sid), res);
  }

  @Post(':sid/checkin')
  @HttpCode(200)
  @PaliadinRoute('sessions:execute')
  @ApiOperation({
    summary: 'End the session',
    description: 'Scope: sessions:execute. Cancels its running turn and stops its agent; 400 when it is not active.',
  })
  @ApiOkResponse({ type: CheckinDto })
  @ApiErrors(400, 429)
  checkin(@CurrentUser() user: Principal, @Param('sid', SessionId()) sid: string): Promise<CheckinDto> {
    return this.sessions.checkin(user, sid);
  }

  @Delete(':sid')
  @PaliadinRoute('admin')
  @ApiOperation({ summary: 'Force-terminate a session (admins)', description: 'Scope: admin (or an owner’s token). 400 when it is not active.' })
  @ApiOkResponse({ type: TerminatedDto })
  @ApiErrors(400)
  terminate(@CurrentUser() user: Principal, @Param('sid', SessionId()) sid: string): Promise<TerminatedDto> {
    if (!this.sessions.isAdmin(user)) throw new ForbiddenException('Only admins may force-terminate a session');
    return this.sessions.terminate(user, sid);
  }
}
