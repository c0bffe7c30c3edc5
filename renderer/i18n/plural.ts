/**
 * Plural forms by the language's own rules (Intl.PluralRules): English has one and other; Russian
 * and Ukrainian one (1, 21, 101), few (2–4, 22–24), many (0, 5–20, 25–30) and other (fractions).
 * A form a language does not use may be left out; `other` stands in for it.
 */
export interface PluralForms {
  one: string;
  few?: string;
  many?: string;
  other: string;
}

const rules = new Map<string, Intl.PluralRules>();

function rulesFor(locale: string): Intl.PluralRules {
  let found = rules.get(locale);
  if (!found) {
    found = new Intl.PluralRules(locale);
    rules.set(locale, found);
  }
  return found;
}

/** The form of `forms` that goes with the number `n` in `locale`: plural('ru', 5, {…}) → forms.many. */
export function plural(locale: string, n: number, forms: PluralForms): string {
  switch (rulesFor(locale).select(n)) {
    case 'one':
      return forms.one;
    case 'few':
      return forms.few ?? forms.other;
    case 'many':
      return forms.many ?? forms.other;
    case 'zero':
    case 'two':
    case 'other':
      return forms.other;
  }
}
