import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiQuery } from '@nestjs/swagger';
import type { Scope } from './scopes.js';

export const ACCESS_KEY = 'paliadin:access';
export const STREAM_AUTH_KEY = 'paliadin:stream-auth';

/**
 * How a route is guarded. `public` opts out of auth; `paliadin` routes sit
 * behind PALIADIN_ENABLED and the owner gate; `admin` routes need an owner or
 * an admin-scoped key. Every other route needs an authenticated caller.
 */
export type Access = { area: 'public' } | { area: 'user'; scope?: Scope } | { area: 'paliadin'; scope: Scope | readonly Scope[] } | { area: 'admin' };

/** No authentication: /health, /docs, the page shells. */
export const Public = () => SetMetadata(ACCESS_KEY, { area: 'public' } satisfies Access);

/** A Paliadin route; API keys need `scope` (or any one of several). Non-owners get the unrouted 404. */
export const PaliadinRoute = (scope: Scope | readonly Scope[]) =>
  applyDecorators(SetMetadata(ACCESS_KEY, { area: 'paliadin', scope } satisfies Access), ApiBearerAuth());

/** An admin route: an owner, or an API key with `paliadin:admin` or `admin`. */
export const AdminRoute = () => applyDecorators(SetMetadata(ACCESS_KEY, { area: 'admin' } satisfies Access), ApiBearerAuth());

/**
 * Browsers' EventSource cannot set headers, so on the SSE route only the token
 * may also come from the HttpOnly cookie or an `access_token` query parameter.
 */
export const StreamAuth = () =>
  applyDecorators(
    SetMetadata(STREAM_AUTH_KEY, true),
    ApiCookieAuth(),
    ApiQuery({ name: 'access_token', required: false, description: 'Token for EventSource clients that cannot set headers' }),
  );

/** The cookie the chat page's sign-in sets. */
export const TOKEN_COOKIE = 'paliadin_token';
