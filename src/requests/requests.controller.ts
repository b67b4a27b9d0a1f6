import { BadRequestException, Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator.js';
import type { Principal } from '../auth/principal.js';
import { PaliadinRoute } from '../auth/route-access.js';
import { ApiErrors } from '../http/api-errors.js';
import { AnswerRequestDto, RequestDto, RequestListDto, RequestsQueryDto } from './dto/request.dto.js';
import { RequestsService } from './requests.service.js';

const Uuid = (name: string) => new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name} must be a UUID`) });

/**
 * The agent asks, the caller answers (docs/requests.md): a turn's requests,
 * answering one, and a session's open ones. A turn's owner, or a key
 * acting as that user with a turn or session scope.
 */
@ApiTags('requests')
@ApiErrors(401, 403, 404, 503)
@Controller()
export class RequestsController {
  constructor(private readonly requests: RequestsService) {}

  @Get('api/paliadin/turns/:id/requests')
  @PaliadinRoute(['paliadin:read', 'sessions:read'])
  @ApiOperation({
    summary: "The turn's requests, open and resolved",
    description:
      'Scope: paliadin:read or sessions:read. Oldest first. The turn stream shows each as it is made (permission, question, client_tool) and resolved (resolved).',
  })
  @ApiOkResponse({ type: RequestListDto })
  @ApiErrors(400)
  async ofTurn(@CurrentUser() user: Principal, @Param('id', Uuid('id')) id: string): Promise<RequestListDto> {
    return { requests: await this.requests.ofTurn(user, id) };
  }

  @Post('api/paliadin/turns/:id/requests/:request_id')
  @HttpCode(200)
  @PaliadinRoute(['paliadin:turn', 'sessions:execute'])
  @ApiOperation({
    summary: 'Answer a request',
    description:
      'Scope: paliadin:turn or sessions:execute. Permission: {decision: allow_once | allow_always | deny, message?}; question: ' +
      '{answers: {"<question>": "<label>" | ["<label>", ...]}}; client tool: {output, is_error?}. The answer is stored, then the agent goes on ' +
      '(on whichever instance runs the turn). The same answer again is a 200; a different one after the request was resolved is ' +
      '409 REQUEST_RESOLVED with the stored request. 400 names the field that does not fit the kind or the options offered.',
  })
  @ApiOkResponse({ type: RequestDto, description: 'The resolved request' })
  @ApiErrors(400, 409, 429)
  answer(
    @CurrentUser() user: Principal,
    @Param('id', Uuid('id')) id: string,
    @Param('request_id', Uuid('request_id')) requestId: string,
    @Body() body: AnswerRequestDto,
  ): Promise<RequestDto> {
    return this.requests.answer(user, id, requestId, body);
  }

  @Get('api/sessions/:sid/requests')
  @PaliadinRoute('sessions:read')
  @ApiOperation({
    summary: "A session's requests",
    description:
      'Scope: sessions:read. status=open (default): the requests its turns wait on now; all: the newest 200. Oldest first. Admins see every session.',
  })
  @ApiOkResponse({ type: RequestListDto })
  @ApiErrors(400)
  async ofSession(@CurrentUser() user: Principal, @Param('sid', Uuid('sid')) sid: string, @Query() q: RequestsQueryDto): Promise<RequestListDto> {
    return { requests: await this.requests.ofSession(user, sid, q.status ?? 'open') };
  }
}
