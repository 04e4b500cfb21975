/**
 * The console's only way to the server: the public /v1 API with the bearer token kept in
 * session storage (gone when the tab closes) and sent as a header, never in a URL. A 401 on a
 * signed-in session forgets the token and brings the user back to the sign-in form.
 */
const TOKEN_KEY = 'koppel.token';

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorised: () => void = () => undefined;

/** What to do when the server no longer accepts the session's token (expired, revoked). */
export function whenUnauthorised(fn: () => void): void {
  onUnauthorised = fn;
}

function failureOf(status: number, text: string): ApiFailure {
  let body: { code?: string; message?: string } | null = null;
  try {
    body = JSON.parse(text) as { code?: string; message?: string };
  } catch {
    body = null;
  }
  return new ApiFailure(status, body?.code ?? `HTTP_${status}`, body?.message ?? '');
}

function unauthorised(failure: ApiFailure, candidate: string | undefined): never {
  if (candidate === undefined) {
    session.clear();
    onUnauthorised();
  }
  throw failure;
}

/** A JSON request; `candidate` tries a token that is not (yet) the session's, as sign-in does. */
export async function api<T>(method: string, path: string, body?: unknown, candidate?: string): Promise<T> {
  const token = candidate ?? session.token();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  const text = await res.text();
  if (res.status === 401) unauthorised(failureOf(401, text), candidate);
  if (!res.ok) throw failureOf(res.status, text);
  return (text === '' ? null : JSON.parse(text)) as T;
}

/** A text file from the API (a table's CSV), read with the session's token. */
export async function apiText(path: string): Promise<string> {
  const token = session.token();
  const res = await fetch(path, { headers: token === null ? {} : { authorization: `Bearer ${token}` }, credentials: 'omit', cache: 'no-store' });
  const text = await res.text();
  if (res.status === 401) unauthorised(failureOf(401, text), undefined);
  if (!res.ok) throw failureOf(res.status, text);
  return text;
}

/** The upload's media type and encoding, from the file's name (the server checks the bytes). */
export function uploadType(name: string): { type: string; encoding?: string } {
  const lower = name.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  let type = 'text/csv';
  if (/\.(arrow|arrows|ipc)$/.test(base)) type = 'application/vnd.apache.arrow.stream';
  else if (base.endsWith('.parquet')) type = 'application/vnd.apache.parquet';
  return gzip ? { type, encoding: 'gzip' } : { type };
}

/** A PUT of a file with XHR, whose upload events report progress (fetch has none). */
export function uploadFile<T>(path: string, file: File, onProgress: (loaded: number, total: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', path);
    const token = session.token();
    if (token !== null) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    const { type, encoding } = uploadType(file.name);
    xhr.setRequestHeader('content-type', type);
    if (encoding !== undefined) xhr.setRequestHeader('content-encoding', encoding);
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', () => {
      if (xhr.status === 401) {
        try {
          unauthorised(failureOf(401, xhr.responseText), undefined);
        } catch (err) {
          reject(err);
        }
      } else if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as T);
      else reject(failureOf(xhr.status, xhr.responseText));
    });
    xhr.addEventListener('error', () => reject(new ApiFailure(0, 'NETWORK', '')));
    xhr.send(file);
  });
}

/** Downloads a file with the token in the header, then hands it to the browser as a download. */
export async function download(path: string, filename: string): Promise<void> {
  const token = session.token();
  const res = await fetch(path, { headers: token === null ? {} : { authorization: `Bearer ${token}` }, credentials: 'omit', cache: 'no-store' });
  if (res.status === 401) unauthorised(failureOf(401, await res.text()), undefined);
  if (!res.ok) throw failureOf(res.status, await res.text());
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
