/**
 * A typed Zalo Bot Platform client on axios whose method names and parameters follow the
 * node-zalo-bot 0.1.6 SDK (reference §6). The only place in the project that calls the Zalo API.
 * The token lives in the URL path, so no URL, request config or axios error ever leaves this file.
 */
import axios, { type AxiosInstance } from 'axios';
import type { ZaloBotInfo, ZaloEnvelope, ZaloSentMessage, ZaloUpdate, ZaloWebhookInfo } from './types.js';

export const ZALO_DEFAULT_BASE = 'https://bot-api.zaloplatforms.com';

export interface ZaloBotOptions {
  /** API server (node-zalo-bot `baseApiUrl`). @defaultValue `https://bot-api.zaloplatforms.com` */
  baseApiUrl?: string;
  /** Time-out of an ordinary call, in ms. @defaultValue 15000 */
  requestTimeoutMs?: number;
  /** Time-out of sendPhoto, in ms: Zalo downloads the photo before it answers. @defaultValue 60000 */
  photoTimeoutMs?: number;
  /** Seconds getUpdates waits for an event when no `timeout` is given. @defaultValue 30 */
  pollTimeoutSec?: number;
}

/** The platform answered and said no (`ok: false`, or a non-2xx status). */
export class ZaloApiError extends Error {
  override readonly name = 'ZaloApiError';
  /** node-zalo-bot's code for the same error. */
  readonly code = 'EZALO';

  constructor(
    readonly method: string,
    readonly error_code: number,
    readonly description: string,
    readonly httpStatus: number,
  ) {
    super(`Zalo ${method} failed: ${error_code} ${description}`);
  }

  /** getUpdates answers 408 when no event arrived within its time-out: an empty poll, not a failure. */
  get isPollingTimeout(): boolean {
    return this.error_code === 408;
  }
}

/** The request never completed: refused, reset, timed out or aborted. */
export class ZaloNetworkError extends Error {
  override readonly name = 'ZaloNetworkError';
  readonly code = 'EFATAL';

  constructor(
    readonly method: string,
    reason: string,
    readonly timedOut: boolean,
    readonly aborted: boolean,
  ) {
    super(`Zalo ${method} did not complete: ${reason}`);
  }
}

type Form = Record<string, unknown>;

export class ZaloBotClient {
  readonly #token: string;
  readonly #http: AxiosInstance;
  private readonly requestTimeoutMs: number;
  private readonly photoTimeoutMs: number;
  private readonly pollTimeoutSec: number;

  constructor(token: string, options: ZaloBotOptions = {}) {
    if (!token) throw new Error('Zalo Bot Token not provided!');
    this.#token = token;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.photoTimeoutMs = options.photoTimeoutMs ?? 60_000;
    this.pollTimeoutSec = options.pollTimeoutSec ?? 30;
    this.#http = axios.create({
      baseURL: (options.baseApiUrl ?? ZALO_DEFAULT_BASE).replace(/\/+$/, ''),
      headers: { 'content-type': 'application/json' },
      // Every answer is parsed; `ok` decides, not the HTTP status (reference §1).
      validateStatus: () => true,
      maxRedirects: 0,
    });
  }

  getMe(form: Form = {}): Promise<ZaloBotInfo> {
    return this.call('getMe', form);
  }

  /**
   * One long poll. Resolves the events received — Zalo gives one per call, some servers an array —
   * and an empty list on the 408 "no update" answer. Also `(timeout, limit, offset)` like node-zalo-bot.
   */
  async getUpdates(form: Form | number = {}, limit?: number, offset?: number, signal?: AbortSignal): Promise<ZaloUpdate[]> {
    const body: Form = typeof form === 'object' ? { ...form } : { timeout: form, limit, offset };
    const seconds = Number(body.timeout ?? this.pollTimeoutSec);
    body.timeout = String(seconds);
    try {
      const result = await this.call<ZaloUpdate | ZaloUpdate[] | null>('getUpdates', body, (seconds + 5) * 1000, signal);
      if (Array.isArray(result)) return result;
      return result && typeof result === 'object' ? [result] : [];
    } catch (err) {
      if (err instanceof ZaloApiError && err.isPollingTimeout) return [];
      throw err;
    }
  }

  /** node-zalo-bot spells it `setWebHook`; `setWebhook` is the API's own name. */
  setWebHook(url: string, options: { secret_token: string }): Promise<ZaloWebhookInfo> {
    return this.call('setWebhook', { url, secret_token: options.secret_token });
  }

  setWebhook(url: string, options: { secret_token: string }): Promise<ZaloWebhookInfo> {
    return this.setWebHook(url, options);
  }

  deleteWebHook(form: Form = {}): Promise<ZaloWebhookInfo> {
    return this.call('deleteWebhook', form);
  }

  deleteWebhook(form: Form = {}): Promise<ZaloWebhookInfo> {
    return this.deleteWebHook(form);
  }

  getWebHookInfo(form: Form = {}): Promise<ZaloWebhookInfo> {
    return this.call('getWebhookInfo', form);
  }

  getWebhookInfo(form: Form = {}): Promise<ZaloWebhookInfo> {
    return this.getWebHookInfo(form);
  }

  /** Text of 1–2000 characters; extra keys (e.g. `parse_mode`) pass through as in node-zalo-bot. */
  sendMessage(chatId: string, text: string, form: Form = {}): Promise<ZaloSentMessage> {
    return this.call('sendMessage', { ...form, chat_id: chatId, text });
  }

  /** `photo` is an absolute http(s) URL Zalo can fetch: the API takes no uploads. */
  sendPhoto(chatId: string, photo: string, options: Form & { caption?: string } = {}): Promise<ZaloSentMessage> {
    return this.call('sendPhoto', { ...options, chat_id: chatId, photo }, this.photoTimeoutMs);
  }

  sendSticker(chatId: string, sticker: string, form: Form = {}): Promise<ZaloSentMessage> {
    return this.call('sendSticker', { ...form, chat_id: chatId, sticker });
  }

  /** Resolves true; the API answers `{ ok: true }` with no result. */
  async sendChatAction(chatId: string, action: 'typing' | 'upload_photo' | string, form: Form = {}): Promise<true> {
    await this.call('sendChatAction', { ...form, chat_id: chatId, action });
    return true;
  }

  private async call<T>(method: string, body: Form, timeoutMs = this.requestTimeoutMs, signal?: AbortSignal): Promise<T> {
    let status: number;
    let data: unknown;
    try {
      const res = await this.#http.post(`/bot${this.#token}/${method}`, body, { timeout: timeoutMs, signal });
      status = res.status;
      data = res.data;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const timedOut = e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT';
      const aborted = axios.isCancel(err);
      throw new ZaloNetworkError(method, this.redact(e.code ?? e.message ?? 'unknown error'), timedOut, aborted);
    }
    const envelope = (data && typeof data === 'object' ? data : {}) as Partial<ZaloEnvelope<T>>;
    if (envelope.ok === true && status < 300) return envelope.result as T;
    const code = typeof envelope.error_code === 'number' ? envelope.error_code : status;
    const description = typeof envelope.description === 'string' ? envelope.description : `HTTP ${status}`;
    throw new ZaloApiError(method, code, this.redact(description.slice(0, 300)), status);
  }

  /** Whatever a server or the network says must not carry the token on into logs. */
  private redact(text: string): string {
    return text.split(this.#token).join('<token>');
  }
}
