/**
 * The console's shell: sign-in with a token, the navigation of the principal's role, the
 * language switch, and a hash router (`#/page?param=value`) that renders one page at a time.
 */
import { api, ApiFailure, session, whenUnauthorised } from './api.js';
import { h, field, mount } from './dom.js';
import { LANGUAGES, language, setLanguage, t, type Language } from './i18n.js';
import { errorBox, type Page, type PageContext, type Principal } from './page.js';
import { PAGES } from './pages.js';

const root = document.getElementById('app') as HTMLElement;
let me: Principal | null = null;
let leave = new AbortController();

function languageSwitch(): HTMLElement {
  const select = h('select', { on: { change: (e) => { setLanguage((e.target as HTMLSelectElement).value as Language); render(); } } },
    LANGUAGES.map((lang) => h('option', { value: lang, selected: lang === language() }, t(`language.${lang}`))));
  return h('div', { class: 'language' }, field(t('language.label'), select));
}

function signIn(message?: HTMLElement): void {
  me = null;
  leave.abort();
  document.title = `${t('signin.title')} – Koppel`;
  const input = h('input', { type: 'password', name: 'token', required: true, autocomplete: 'off', spellcheck: 'false' });
  const status = h('div', { 'aria-live': 'polite' }, message);
  const form = h('form', { class: 'card signin', on: { submit: (e) => { e.preventDefault(); void tryToken(input.value.trim(), status); } } },
    h('h2', null, t('signin.title')),
    h('p', null, t('signin.explain')),
    field(t('signin.token'), input, t('signin.token_hint')),
    h('button', { type: 'submit' }, t('signin.submit')),
    status);
  mount(root, h('header', { class: 'top' }, h('h1', null, 'Koppel'), languageSwitch()), h('main', { id: 'main' }, form));
  input.focus();
}

async function tryToken(token: string, status: HTMLElement): Promise<void> {
  if (token === '') return;
  try {
    const who = await api<Principal>('GET', '/v1/whoami', undefined, token);
    session.set(token);
    me = who;
    if (location.hash === '' || location.hash === '#/') location.hash = `#${PAGES[who.role][0].path}`;
    render();
  } catch (err) {
    mount(status, err instanceof ApiFailure && err.status === 401 ? h('p', { class: 'notice error', role: 'alert' }, t('signin.refused')) : errorBox(err));
  }
}

function currentRoute(pages: readonly Page[]): { page: Page; params: URLSearchParams } {
  const [path, query] = location.hash.replace(/^#/, '').split('?', 2);
  const page = pages.find((p) => p.path === path) ?? pages[0];
  return { page, params: new URLSearchParams(query ?? '') };
}

function render(): void {
  if (me === null) {
    signIn();
    return;
  }
  leave.abort();
  leave = new AbortController();
  const pages = PAGES[me.role];
  const { page, params } = currentRoute(pages);
  document.title = `${t(page.title)} – Koppel`;
  const nav = h('nav', { 'aria-label': t('nav.label') }, h('ul', null, pages.filter((p) => p.hidden !== true).map((p) =>
    h('li', null, h('a', { href: `#${p.path}`, 'aria-current': p === page ? 'page' : null }, t(p.title))))));
  const signOut = h('button', { type: 'button', class: 'secondary', on: { click: () => { session.clear(); location.hash = ''; signIn(); } } }, t('signout'));
  const main = h('main', { id: 'main' });
  mount(root,
    h('a', { class: 'skip', href: '#main', on: { click: (e) => { e.preventDefault(); main.querySelector<HTMLElement>('.page-heading')?.focus(); } } }, t('nav.skip')),
    h('header', { class: 'top' }, h('h1', null, 'Koppel'),
      h('p', { class: 'who' }, t('signedin.as'), ' ', h('strong', null, me.id)), languageSwitch(), signOut),
    nav, main);
  const ctx: PageContext = { me, signal: leave.signal, params, refresh: render };
  page.render(main, ctx).then(
    () => main.querySelector<HTMLElement>('.page-heading')?.focus({ preventScroll: true }),
    (err: unknown) => { if (!leave.signal.aborted && me !== null) main.append(errorBox(err)); },
  );
}

async function boot(): Promise<void> {
  setLanguage(language());
  whenUnauthorised(() => signIn(h('p', { class: 'notice error', role: 'alert' }, t('signin.expired'))));
  window.addEventListener('hashchange', () => { if (me !== null) render(); });
  const token = session.token();
  if (token === null) {
    signIn();
    return;
  }
  try {
    me = await api<Principal>('GET', '/v1/whoami');
    render();
  } catch {
    if (me === null && session.token() !== null) signIn();
  }
}

void boot();
