/** An owner's notification channels (e-mail, ntfy) and chosen events, and a test send. */
import type { FastifyInstance } from 'fastify';
import type { RelayContext } from '../../context';
import { NOTIFY_EVENTS } from '../../domain/notification-events';
import {
  getNotificationSettings, MAX_EMAIL_LENGTH, MAX_NTFY_URL_LENGTH, parseNtfyUrl, putNotificationSettings, type NotificationSettingsInput
} from '../../domain/notification-settings';
import { sendTestNotification } from '../../domain/notifications';
import { checkWebhookTarget } from '../../domain/webhook-target';
import { principal, requireAuth } from '../auth';
import { bearer, emptyBody, ok } from '../schemas';

export const NOTIFICATION_SETTINGS_PATH = '/v1/me/notification-settings';
const MAX_NTFY_TOKEN_LENGTH = 200;

const settingsBody = {
  type: 'object', additionalProperties: false,
  properties: {
    email: {
      type: 'object', additionalProperties: false, required: ['enabled'],
      properties: { enabled: { type: 'boolean' }, address: { type: 'string', minLength: 3, maxLength: MAX_EMAIL_LENGTH } }
    },
    ntfy: {
      type: 'object', additionalProperties: false, required: ['enabled'],
      properties: {
        enabled: { type: 'boolean' },
        url: { type: ['string', 'null'], maxLength: MAX_NTFY_URL_LENGTH },
        token: { type: ['string', 'null'], maxLength: MAX_NTFY_TOKEN_LENGTH }
      }
    },
    events: { type: 'array', maxItems: NOTIFY_EVENTS.length, items: { type: 'string', enum: [...NOTIFY_EVENTS] } }
  }
} as const;

export function notificationSettingsRoutes(app: FastifyInstance, ctx: RelayContext): void {
  const owner = requireAuth(ctx, { kinds: ['owner'] });

  app.get(NOTIFICATION_SETTINGS_PATH, {
    onRequest: owner,
    schema: { tags: ['notifications'], summary: 'Where my notifications go when the page is closed, and which events', security: bearer, response: ok('{ email, ntfy, events, choices }') }
  }, async (req) => getNotificationSettings(ctx, principal(req).subjectId!));

  app.put<{ Body: NotificationSettingsInput }>(NOTIFICATION_SETTINGS_PATH, {
    onRequest: owner,
    schema: { tags: ['notifications'], summary: 'Change channels and events (the ntfy token is write-only)', security: bearer, body: settingsBody, response: ok('{ email, ntfy, events, choices }') }
  }, async (req) => {
    // The relay will POST to this address: only a public one, like a webhook (request forgery).
    const url = req.body.ntfy?.url;
    if (url) await checkWebhookTarget(parseNtfyUrl(url), ctx.opts.webhooks.allowPrivateTargets, 'KW_PUSH_TARGET');
    return putNotificationSettings(ctx, principal(req).subjectId!, req.body);
  });

  app.post(NOTIFICATION_SETTINGS_PATH + '/test', {
    onRequest: owner,
    schema: { tags: ['notifications'], summary: 'Send a test notification on every channel that is on', security: bearer, body: emptyBody, response: ok('{ queued }') }
  }, async (req) => {
    return sendTestNotification(ctx, principal(req).subjectId!);
  });
}
