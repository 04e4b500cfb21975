/**
 * A small client of Koppel's HTTP API (fetch), used by the demo and the end-to-end tests.
 * Errors come back as ApiError carrying the server's coded body.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { sniffUploadFormat } from '../ingest/batch-source.js';

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

  /**
   * Streams a local file as the request body (CSV, Arrow IPC or Parquet: see `uploadContentType`),
   * gzip-compressed on the way if asked.
   */
  async upload<T>(dataset: string, period: string, file: string, options: { gzip?: boolean; supersede?: boolean } = {}): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { 'content-type': uploadContentType(file) };
    let stream: Readable = createReadStream(file);
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

const ARROW_EXTENSIONS = new Set(['.arrow', '.arrows', '.ipc']);

/**
 * The content type to upload `file` with. The first bytes decide (`PAR1` Parquet; `ARROW1` an
 * Arrow IPC file; the continuation marker 0xFFFFFFFF an Arrow IPC stream); an `.arrow`,
 * `.arrows` or `.ipc` name without either magic is sent as an Arrow stream (the server then says
 * clearly if it is not one); anything else is CSV.
 */
export function uploadContentType(file: string): string {
  const head = new Uint8Array(8);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const format = sniffUploadFormat(head.subarray(0, n));
  if (format === 'parquet') return 'application/vnd.apache.parquet';
  if (format === 'arrow') return n >= 6 && head[0] === 0x41 ? 'application/vnd.apache.arrow.file' : 'application/vnd.apache.arrow.stream';
  if (ARROW_EXTENSIONS.has(path.extname(file).toLowerCase())) return 'application/vnd.apache.arrow.stream';
  return 'text/csv; charset=utf-8';
}
