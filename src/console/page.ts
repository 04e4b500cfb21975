/** What every page gets and shares: the signed-in principal, a signal that ends with the page, small views. */
import { ApiFailure } from './api.js';
import { h, type Child } from './dom.js';
import { t } from './i18n.js';
import type { MessageKey } from './messages.js';

export interface Principal {
  readonly id: string;
  readonly role: 'operator' | 'supplier' | 'researcher';
  readonly name: string;
}

export interface PageContext {
  readonly me: Principal;
  /** Aborted when the user leaves the page: polling stops with it. */
  readonly signal: AbortSignal;
  readonly params: URLSearchParams;
  /** Re-renders the current page (after a change). */
  readonly refresh: () => void;
}

export interface Page {
  readonly path: string;
  readonly title: MessageKey;
  /** Reached by a link from another page, not from the navigation. */
  readonly hidden?: boolean;
  render(main: HTMLElement, ctx: PageContext): Promise<void>;
}

/** The page's heading; it takes focus after navigation so keyboard and screen-reader users land on it. */
export function heading(text: string): HTMLHeadingElement {
  return h('h2', { tabindex: '-1', class: 'page-heading' }, text);
}

/** An error from the API as the user reads it: the coded message, in a live region. */
export function errorBox(err: unknown): HTMLElement {
  const detail = err instanceof ApiFailure
    ? [h('strong', null, t('error.api', { status: String(err.status) })), ' ', err.message, ' ', h('code', null, err.code)]
    : [h('strong', null, t('error.unexpected'))];
  return h('div', { class: 'notice error', role: 'alert' }, detail);
}

export function notice(text: string): HTMLElement {
  return h('p', { class: 'notice', role: 'status' }, text);
}

/** A status shown as a word and a colour (never colour alone). */
export function badge(status: string, label: string): HTMLElement {
  return h('span', { class: `badge status-${status.replace(/[^a-z_]/g, '')}` }, label);
}

export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href }, ...children);
}

export function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h3', null, title), ...children);
}

/** Waits `ms`, or less when the page is left. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** A definition list of label/value pairs. */
export function facts(pairs: readonly (readonly [string, Child])[]): HTMLElement {
  return h('dl', { class: 'facts' }, pairs.map(([label, value]) => [h('dt', null, label), h('dd', null, value)]));
}
