import { Inject, Injectable } from '@nestjs/common';
import { resolveJwtSecret } from '../auth/jwt-secret.js';
import { AppConfig } from '../config/app-config.js';
import { SecretBox } from './webhook-secrets.js';

/** The app's SecretBox: keyed by PALIADIN_WEBHOOK_KEY, else by the JWT secret (docs/webhooks.md). */
@Injectable()
export class WebhookSecrets {
  private readonly box: SecretBox;

  constructor(@Inject(AppConfig) config: AppConfig) {
    const key = config.env.PALIADIN_WEBHOOK_KEY;
    this.box = new SecretBox(key ? new TextEncoder().encode(key) : resolveJwtSecret(config));
  }

  seal(secret: string): string {
    return this.box.seal(secret);
  }

  open(sealed: string): string {
    return this.box.open(sealed);
  }
}
