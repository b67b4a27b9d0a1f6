import { HttpException, HttpStatus } from '@nestjs/common';

/** Seconds a client is asked to wait before trying again when this instance is busy. */
export const RETRY_AFTER_S = 2;

/**
 * The instance cannot take more work now (its live-turn cap, or no database
 * connection in time): a 503 with Retry-After, which clients and browsers'
 * EventSource treat as "come back", never a 500.
 */
export class BusyException extends HttpException {
  constructor(message: string) {
    super(message, HttpStatus.SERVICE_UNAVAILABLE);
  }
}
