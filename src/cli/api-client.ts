/**
 * A small client of Koppel's HTTP API (fetch), used by the demo and the end-to-end tests.
 * Errors come back as ApiError carrying the server's coded body.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(`${status} ${code}: ${message}`);
  }
}

export class ApiClient {
  constructor(readonly baseUrl: string, readonly token: string) {}

  as(token: string): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request<T>(method: string, path: string, init: { json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const response = await fetch(new URL(path, this.baseUrl), { method, headers, body, duplex: 'half' } as RequestInit);
    const text = await response.text();
    const parsed = text === '' ? null : (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    if (!response.ok) {
      const err = parsed as { code?: string; message?: string } | null;
      throw new ApiError(response.status, err?.code ?? 'UNKNOWN', err?.message ?? text.slice(0, 200));
    }
    return { status: response.status, body: parsed as T };
  }

  /** Streams a local CSV file as the request body, gzip-compressed on the way if asked. */
  async upload<T>(dataset: string, period: string, file: string, options: { gzip?: boolean; supersede?: boolean } = {}): Promise<{ status: number; body: T }> {
    let stream: Readable = createReadStream(file);
    const headers: Record<string, string> = { 'content-type': 'text/csv; charset=utf-8' };
    if (options.gzip === true) {
      stream = stream.pipe(createGzip());
      headers['content-encoding'] = 'gzip';
    }
    const query = options.supersede === true ? '?supersede=true' : '';
    return this.request<T>('PUT', `/v1/datasets/${dataset}/deliveries/${period}${query}`, {
      body: Readable.toWeb(stream) as unknown as RequestInit['body'],
      headers,
    });
  }

  async download(path: string): Promise<Uint8Array> {
    const response = await fetch(new URL(path, this.baseUrl), { headers: { authorization: `Bearer ${this.token}` } });
    if (!response.ok) {
      const err = (await response.json().catch(() => null)) as { code?: string; message?: string } | null;
      throw new ApiError(response.status, err?.code ?? 'UNKNOWN', err?.message ?? '');
    }
    return new Uint8Array(await response.arrayBuffer());
  }
}
