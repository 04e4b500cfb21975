/** The console's message catalogue: every message in all three languages, with the same placeholders. */
import t from 'tap';
import { MESSAGES } from '../../../src/console/messages.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

t.test('every message has an English, Dutch and French text with the same placeholders', async (t) => {
  const entries = Object.entries(MESSAGES) as [string, readonly string[]][];
  t.ok(entries.length > 100, 'the catalogue covers the console');
  const bad = entries.filter(([, texts]) => texts.length !== 3 || texts.some((x) => x.trim() === ''));
  t.same(bad.map(([key]) => key), [], 'no message lacks a language');
  const mismatched = entries.filter(([, [en, nl, fr]]) => {
    const want = JSON.stringify(placeholders(en));
    return JSON.stringify(placeholders(nl)) !== want || JSON.stringify(placeholders(fr)) !== want;
  });
  t.same(mismatched.map(([key]) => key), [], 'a placeholder is in every language or in none');
  const untranslated = entries.filter(([key, [en, nl, fr]]) => en === nl && en === fr && !/^(language\.|schedule\.adhoc|report\.seconds|calendar\.days|audit\.seq|job\.project|delivery\.version|release\.project)/.test(key) && /[a-z]{4}/.test(en));
  t.ok(untranslated.length <= 10, `few texts are the same in all three languages (${untranslated.map(([k]) => k).join(', ')})`);
});
