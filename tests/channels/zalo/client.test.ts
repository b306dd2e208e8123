import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZaloApiError, ZaloBotClient, ZaloNetworkError } from '../../../src/channels/zalo/client.js';
import { FakeZalo, zaloFixture, zaloText } from '../../support/fake-zalo.js';

let fake: FakeZalo;
let client: ZaloBotClient;

beforeAll(async () => {
  fake = new FakeZalo(undefined, 300);
  await fake.start();
  client = new ZaloBotClient(fake.token, { baseApiUrl: fake.url, requestTimeoutMs: 2_000 });
});
afterAll(() => fake.stop());

function lastCall() {
  return fake.calls.at(-1)!;
}

describe('ZaloBotClient', () => {
  describe('requests', () => {
    it('should POST JSON to /bot<token>/getMe and resolve the bot info', async () => {
      const me = await client.getMe();
      expect(me).toEqual(zaloFixture('get-me').result);
      expect(lastCall()).toMatchObject({ method: 'getMe', token: fake.token, httpMethod: 'POST', body: {} });
    });

    it('should send chat_id and text, pass extra form keys through, and resolve the message id', async () => {
      const sent = await client.sendMessage('u1', 'Xin chào', { parse_mode: 'markdown' });
      expect(sent.message_id).toMatch(/^[0-9a-f]{20}$/);
      expect(typeof sent.date).toBe('number');
      expect(lastCall()).toMatchObject({ method: 'sendMessage', body: { chat_id: 'u1', text: 'Xin chào', parse_mode: 'markdown' } });
    });

    it('should send a photo by URL with its caption', async () => {
      await client.sendPhoto('u1', 'https://example.com/a.png', { caption: 'Hình' });
      expect(lastCall()).toMatchObject({ method: 'sendPhoto', body: { chat_id: 'u1', photo: 'https://example.com/a.png', caption: 'Hình' } });
    });

    it('should send a sticker by id', async () => {
      await client.sendSticker('u1', 'bfe458bf64fa8da4d4eb');
      expect(lastCall()).toMatchObject({ method: 'sendSticker', body: { chat_id: 'u1', sticker: 'bfe458bf64fa8da4d4eb' } });
    });

    it('should resolve true for sendChatAction, whose answer has no result', async () => {
      await expect(client.sendChatAction('u1', 'typing')).resolves.toBe(true);
      expect(lastCall()).toMatchObject({ method: 'sendChatAction', body: { chat_id: 'u1', action: 'typing' } });
    });

    it('should set, read and delete the webhook under both spellings', async () => {
      const set = await client.setWebHook('https://bot.example.vn/webhooks/zalo', { secret_token: 'secret-123' });
      expect(set.url).toBe('https://bot.example.vn/webhooks/zalo');
      expect(lastCall()).toMatchObject({ method: 'setWebhook', body: { url: 'https://bot.example.vn/webhooks/zalo', secret_token: 'secret-123' } });
      expect((await client.getWebhookInfo()).url).toBe('https://bot.example.vn/webhooks/zalo');
      expect(lastCall().method).toBe('getWebhookInfo');
      expect((await client.deleteWebhook()).url).toBe('');
      expect(lastCall().method).toBe('deleteWebhook');
      await client.setWebhook('https://bot.example.vn/x', { secret_token: 'secret-123' });
      expect((await client.getWebHookInfo()).url).toBe('https://bot.example.vn/x');
      await client.deleteWebHook();
      expect(fake.webhook).toBeNull();
    });
  });

  describe('getUpdates', () => {
    it('should send the timeout as a string and resolve the single event in a list', async () => {
      const event = zaloText('u2', 'Chào bạn', { messageId: 'mid-1' });
      fake.push(event);
      const updates = await client.getUpdates({ timeout: 1 });
      expect(updates).toEqual([event]);
      expect(lastCall()).toMatchObject({ method: 'getUpdates', body: { timeout: '1' } });
    });

    it('should accept node-zalo-bot positional arguments (timeout, limit, offset)', async () => {
      fake.push(zaloText('u2', 'a'));
      await client.getUpdates(1, 1, 0);
      expect(lastCall().body).toMatchObject({ timeout: '1', limit: 1, offset: 0 });
    });

    it('should treat the 408 "no update" answer as an empty poll', async () => {
      await expect(client.getUpdates({ timeout: 1 })).resolves.toEqual([]);
    });

    it('should accept a result that is an array of events', async () => {
      const events = [zaloText('u2', 'một'), zaloText('u2', 'hai')];
      const arrayServer = new FakeZalo(fake.token);
      await arrayServer.start();
      // The fake hands out one event per call; an array comes from servers that batch, emulated here.
      arrayServer.push({ ok: true, result: events } as never);
      const c = new ZaloBotClient(fake.token, { baseApiUrl: arrayServer.url });
      await expect(c.getUpdates({ timeout: 1 })).resolves.toEqual(events);
      await arrayServer.stop();
    });
  });

  describe('errors', () => {
    it('should reject with ZaloApiError carrying error_code and description from an ok:false envelope', async () => {
      fake.failNext('sendMessage', { error_code: 429, description: 'Quota exceeded' });
      const err = await client.sendMessage('u1', 'hi').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ZaloApiError);
      expect(err).toMatchObject({ error_code: 429, description: 'Quota exceeded', httpStatus: 200, code: 'EZALO', method: 'sendMessage' });
    });

    it('should parse the envelope of a non-2xx answer too', async () => {
      fake.failNext('getMe', { error_code: 401, description: 'Unauthorized', status: 401 });
      await expect(client.getMe()).rejects.toMatchObject({ name: 'ZaloApiError', error_code: 401, httpStatus: 401 });
    });

    it('should report a bad request the server validated (text over 2,000 characters)', async () => {
      await expect(client.sendMessage('u1', 'x'.repeat(2001))).rejects.toMatchObject({ error_code: 400 });
    });

    it('should use the HTTP status when the answer is not an envelope', async () => {
      const c = new ZaloBotClient(fake.token, { baseApiUrl: `${fake.url}/nowhere` });
      await expect(c.getMe()).rejects.toMatchObject({ error_code: 404 });
    });

    it('should time out a request that gets no answer, as a ZaloNetworkError', async () => {
      fake.hangNext('sendMessage', 1_500);
      const c = new ZaloBotClient(fake.token, { baseApiUrl: fake.url, requestTimeoutMs: 200 });
      const err = await c.sendMessage('u1', 'hi').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ZaloNetworkError);
      expect(err).toMatchObject({ timedOut: true });
    });

    it('should give getUpdates the poll time-out plus five seconds', async () => {
      // A 1 s poll held 1.5 s by the server still succeeds: the client waits 6 s.
      fake.hangNext('getUpdates', 1_500);
      fake.push(zaloText('u3', 'trễ'));
      const c = new ZaloBotClient(fake.token, { baseApiUrl: fake.url, requestTimeoutMs: 200 });
      await expect(c.getUpdates({ timeout: 1 })).resolves.toHaveLength(1);
    });

    it('should report a dropped connection as a ZaloNetworkError', async () => {
      fake.dropNext('getMe');
      await expect(client.getMe()).rejects.toBeInstanceOf(ZaloNetworkError);
    });

    it('should never put the token in an error message, even when the server echoes it', async () => {
      fake.failNext('getMe', { error_code: 400, description: `bad path /bot${fake.token}/getMe` });
      const err = (await client.getMe().catch((e: unknown) => e)) as Error;
      expect(err.message).not.toContain(fake.token.split(':')[1]);
      expect(err.message).toContain('<token>');
      const wrong = new ZaloBotClient('123:wrong-token-value', { baseApiUrl: fake.url });
      const e2 = (await wrong.getMe().catch((e: unknown) => e)) as Error;
      expect(e2).toMatchObject({ error_code: 401 });
      expect(JSON.stringify(e2) + e2.message + String(e2.stack)).not.toContain('wrong-token-value');
    });

    it('should refuse to be built without a token', () => {
      expect(() => new ZaloBotClient('')).toThrow('Zalo Bot Token not provided!');
    });
  });
});
