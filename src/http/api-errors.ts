import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/** The one error shape (ErrorEnvelope in error-envelope.filter.ts), as OpenAPI shows it. */
export class ErrorEnvelopeDto {
  @ApiProperty({ example: 400 }) statusCode: number;
  @ApiProperty({ example: 'Bad Request', description: 'The status code’s reason phrase' }) error: string;
  @ApiProperty({ example: 'user_message should not be empty', description: 'What went wrong, naming the field at fault' }) message: string;
  @ApiPropertyOptional({ example: 'SESSION_EXISTS', description: 'A stable code, where the status alone does not say what happened' }) code?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'REQUEST_RESOLVED: the request as it was resolved' }) request?: object;
}

const WHY = {
  400: 'Bad input: the message names the field (never a 500)',
  401: 'No valid bearer token or API key, or a token whose claims are unusable (the message says which)',
  403: 'An API key without the scope this route needs, or an API key where only a user token will do',
  404: 'Not found or not yours; also the unrouted 404 for callers who may not use this route (non-owners, PALIADIN_ENABLED=false)',
  409: 'A conflict: `code` says which (SESSION_EXISTS: you have an active session of that name; REQUEST_RESOLVED: the request was answered otherwise already, `request` holds how)',
  429: 'Too many POSTs by this caller (PALIADIN_POST_RATE_LIMIT a minute), or too many turns running',
  502: 'The agent backend failed to do it; try again',
  503: 'Busy, or the database cannot be reached now: try again after Retry-After',
} as const;
export type ErrorStatus = keyof typeof WHY;

/**
 * Documents the error responses a route can give, each as the ErrorEnvelopeDto
 * in JSON, also on routes whose success is not JSON (the SSE stream).
 */
export const ApiErrors = (...statuses: ErrorStatus[]) =>
  applyDecorators(
    ApiExtraModels(ErrorEnvelopeDto),
    ...statuses.map((status) =>
      ApiResponse({ status, description: WHY[status], content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorEnvelopeDto) } } } }),
    ),
  );
