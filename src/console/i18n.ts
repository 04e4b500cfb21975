/**
 * English, Dutch and French from one catalogue (messages.ts). The language is the one the user
 * chose (remembered in local storage), else the first of the browser's languages we have, else
 * English. Dates and numbers are formatted by Intl in the language's Belgian (or British) locale.
 */
import { MESSAGES, type MessageKey } from './messages.js';

export const LANGUAGES = ['en', 'nl', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];
const LOCALES: Record<Language, string> = { en: 'en-GB', nl: 'nl-BE', fr: 'fr-BE' };
const STORE_KEY = 'koppel.language';

function isLanguage(value: string | null): value is Language {
  return value !== null && (LANGUAGES as readonly string[]).includes(value);
}

function preferred(): Language {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORE_KEY);
  } catch {
    // Storage may be off (a private window): the browser's languages decide.
  }
  if (isLanguage(saved)) return saved;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.slice(0, 2).toLowerCase();
    if (isLanguage(base)) return base;
  }
  return 'en';
}

let current: Language = preferred();

export function language(): Language {
  return current;
}

export function setLanguage(lang: Language): void {
  current = lang;
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORE_KEY, lang);
  } catch {
    // Not remembered, still applied.
  }
}

/** The message in the current language; `{name}` placeholders take `vars` (numbers formatted). */
export function t(key: MessageKey, vars?: Readonly<Record<string, string | number>>): string {
  // A key built at run time from an API value (a status, a stage) may be one we do not know yet.
  const texts = MESSAGES[key] as readonly string[] | undefined;
  if (texts === undefined) return key.slice(key.indexOf('.') + 1).replace(/_/g, ' ');
  const text = texts[LANGUAGES.indexOf(current)];
  if (vars === undefined) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? num(value) : value;
  });
}

export function num(value: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(LOCALES[current], options).format(value);
}

export function pct(share: number): string {
  return num(share, { style: 'percent', maximumFractionDigits: 1 });
}

/** A calendar day (`YYYY-MM-DD`) or an ISO timestamp, as a date. */
export function day(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '–';
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(LOCALES[current], { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}

export function moment(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(LOCALES[current], { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}
