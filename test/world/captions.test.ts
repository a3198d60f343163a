import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';
import { ATTRIBUTE_NAMES, type Attributes, type NamedAttributes } from '../../src/world/data/attributes.js';
import { captionEn, readAttributesEn } from '../../src/world/data/captions-en.js';
import { captionIn, LANGUAGES, type Language, parseLanguage, sampleNamed, translateWordByWord } from '../../src/world/data/captions-multi.js';
import { sampleAttributes } from '../../src/world/data/dataset.js';
import { italianArticle } from '../../src/world/data/lang-it.js';

/** The attributes a caption names, as `readAttributesEn` should recover them. */
function expectedReading(attrs: Attributes, named: NamedAttributes): Partial<Attributes> {
  const out: Partial<Attributes> = {};
  for (const name of ATTRIBUTE_NAMES) if (named[name]) out[name] = attrs[name];
  return out;
}

/** All distinct captions of `attrs`/`named` in `lang` over many seeds. */
function variants(lang: Language, attrs: Attributes, named: Partial<NamedAttributes>, seeds = 300): Set<string> {
  const out = new Set<string>();
  for (let s = 0; s < seeds; s++) out.add(captionIn(lang, attrs, named, new Rng(s)).text);
  return out;
}

const A = (object: number, colour: number, size: number, position: number): Attributes => ({ object, colour, size, position });
const ALL = { object: true, colour: true, size: true, position: true };

// Independently written attribute words per language (objects and colours in table order), to check
// that captions contain the words for what they claim to name.
const OBJECT_WORDS: Record<Language, readonly string[][]> = {
  en: [['bell'], ['bird'], ['car', 'automobile'], ['clock'], ['drop', 'droplet', 'raindrop'], ['star'], ['tree'], ['house'], ['fish'], ['key']],
  fr: [['cloche'], ['oiseau'], ['voiture'], ['horloge'], ['goutte'], ['étoile'], ['arbre'], ['maison'], ['poisson'], ['clé']],
  es: [['campana'], ['pájaro'], ['coche'], ['reloj'], ['gota'], ['estrella'], ['árbol'], ['casa'], ['pez'], ['llave']],
  it: [['campana'], ['uccello'], ['macchina'], ['orologio'], ['goccia'], ['stella'], ['albero'], ['casa'], ['pesce'], ['chiave']],
  de: [['Glocke'], ['Vogel'], ['Auto'], ['Uhr'], ['Tropfen'], ['Stern'], ['Baum'], ['Haus'], ['Fisch'], ['Schlüssel']],
  zh: [['铃铛'], ['鸟'], ['汽车'], ['挂钟'], ['水滴'], ['星星'], ['树'], ['房子'], ['鱼'], ['钥匙']],
  ja: [['ベル'], ['鳥'], ['車'], ['時計'], ['しずく'], ['星'], ['木'], ['家'], ['魚'], ['鍵']],
};
const COLOUR_WORDS: Record<Language, readonly string[][]> = {
  en: [['red'], ['orange'], ['yellow'], ['green'], ['blue'], ['purple', 'violet'], ['pink'], ['black']],
  fr: [['rouge'], ['orange'], ['jaune'], ['vert', 'verte'], ['bleu', 'bleue'], ['violet', 'violette'], ['rose'], ['noir', 'noire']],
  es: [['rojo', 'roja'], ['naranja'], ['amarillo', 'amarilla'], ['verde'], ['azul'], ['morado', 'morada'], ['rosa'], ['negro', 'negra']],
  it: [['rosso', 'rossa'], ['arancione'], ['giallo', 'gialla'], ['verde'], ['blu'], ['viola'], ['rosa'], ['nero', 'nera']],
  de: [['rot'], ['orangefarben'], ['gelb'], ['grün'], ['blau'], ['violett'], ['rosa'], ['schwarz']],
  zh: [['红色'], ['橙色'], ['黄色'], ['绿色'], ['蓝色'], ['紫色'], ['粉色'], ['黑色']],
  ja: [['赤い'], ['オレンジ色'], ['黄色い'], ['緑'], ['青い'], ['紫'], ['ピンク'], ['黒い']],
};

test('captionEn: deterministic, names exactly the flagged attributes, samples subsets when not given', () => {
  const rng = new Rng(1);
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const attrs = sampleAttributes(rng);
    const seed = rng.int(1e9);
    const caption = captionEn(attrs, new Rng(seed));
    assert.deepEqual(captionEn(attrs, new Rng(seed)), caption);
    assert.ok(
      ATTRIBUTE_NAMES.some((n) => caption.named[n]),
      'a caption names something',
    );
    assert.deepEqual(readAttributesEn(caption.text), expectedReading(attrs, caption.named), `"${caption.text}"`);
    seen.add(ATTRIBUTE_NAMES.map((n) => (caption.named[n] ? n[0] : '-')).join(''));
  }
  assert.ok(seen.size >= 14, `only ${seen.size} of 15 attribute subsets sampled`);
});

test('captionEn: the templates produce the expected phrasings', () => {
  const bell = variants('en', A(0, 0, 0, 0), ALL);
  assert.ok(bell.has('a small red bell in the top left'), [...bell].join(' | '));
  assert.ok(bell.has('small red bell, top left'));
  assert.ok(bell.has('in the top left, there is a small red bell'));
  const blue = variants('en', A(3, 4, 1, 5), { colour: true, position: true });
  assert.ok(blue.has('something blue on the right'), [...blue].join(' | '));
  assert.ok(variants('en', A(1, 0, 0, 0), { object: true }).has('a bird'));
  assert.ok(variants('en', A(6, 3, 1, 7), ALL).has('a large green tree at the bottom'));
  assert.ok(variants('en', A(5, 1, 0, 4), { colour: true, object: true }).has('an orange star'), 'a/an agreement');
});

test('captionIn: every language names exactly the flagged attributes (via word-by-word translation)', () => {
  for (const lang of LANGUAGES) {
    const rng = new Rng(99);
    for (let i = 0; i < 400; i++) {
      const attrs = sampleAttributes(rng);
      const named = sampleNamed(rng);
      const caption = captionIn(lang, attrs, named, rng);
      assert.deepEqual(caption.named, named);
      const english = translateWordByWord(caption.text, lang);
      assert.deepEqual(readAttributesEn(english), expectedReading(attrs, named), `${lang}: "${caption.text}" -> "${english}"`);
      const mentions = (table: readonly string[][], index: number): boolean => table[index]!.some((w) => caption.text.includes(w));
      if (named.object) assert.ok(mentions(OBJECT_WORDS[lang], attrs.object), `${lang}: "${caption.text}" lacks object word`);
      if (named.colour) assert.ok(mentions(COLOUR_WORDS[lang], attrs.colour), `${lang}: "${caption.text}" lacks colour word`);
      if (lang === 'zh' || lang === 'ja') assert.ok(!/\s/.test(caption.text), `${lang} caption has spaces: "${caption.text}"`);
    }
  }
});

test('captionIn: deterministic per Rng state, and parallel across languages', () => {
  for (const lang of LANGUAGES) {
    assert.deepEqual(captionIn(lang, A(2, 3, 1, 8), ALL, new Rng(5)), captionIn(lang, A(2, 3, 1, 8), ALL, new Rng(5)));
  }
});

test('French: gender agreement, prenominal size, elision', () => {
  const has = (attrs: Attributes, named: Partial<NamedAttributes>, text: string): void => {
    const all = variants('fr', attrs, named);
    assert.ok(all.has(text), `missing "${text}" in ${[...all].join(' | ')}`);
  };
  has(A(0, 0, 0, 0), ALL, 'une petite cloche rouge en haut à gauche');
  has(A(6, 3, 1, 4), ALL, 'un grand arbre vert au centre');
  has(A(7, 3, 0, 0), { object: true, colour: true }, 'une maison verte');
  has(A(1, 5, 0, 0), { object: true, colour: true }, 'un oiseau violet');
  has(A(5, 5, 0, 0), { object: true, colour: true }, 'une étoile violette');
  has(A(5, 5, 0, 0), { object: true, colour: true }, "une image d'une étoile violette");
  has(A(2, 4, 0, 5), { colour: true, position: true }, 'quelque chose de bleu à droite');
  has(A(2, 1, 0, 5), { colour: true }, "quelque chose d'orange");
});

test('Spanish: agreement and the apocope gran', () => {
  const has = (attrs: Attributes, named: Partial<NamedAttributes>, text: string): void => {
    const all = variants('es', attrs, named);
    assert.ok(all.has(text), `missing "${text}" in ${[...all].join(' | ')}`);
  };
  has(A(0, 0, 0, 0), ALL, 'una pequeña campana roja arriba a la izquierda');
  has(A(6, 3, 1, 4), ALL, 'un gran árbol verde en el centro');
  has(A(7, 0, 0, 0), { object: true, colour: true }, 'una casa roja');
  has(A(1, 7, 0, 0), { object: true, colour: true }, 'un pájaro negro');
  has(A(2, 4, 0, 5), { colour: true, position: true }, 'algo azul a la derecha');
  has(A(8, 2, 0, 1), { object: true, colour: true, position: true }, 'arriba hay un pez amarillo');
});

test('Italian: agreement and article choice', () => {
  const has = (attrs: Attributes, named: Partial<NamedAttributes>, text: string): void => {
    const all = variants('it', attrs, named);
    assert.ok(all.has(text), `missing "${text}" in ${[...all].join(' | ')}`);
  };
  has(A(0, 0, 0, 0), ALL, 'una piccola campana rossa in alto a sinistra');
  has(A(6, 3, 1, 4), ALL, 'un grande albero verde al centro');
  has(A(1, 7, 0, 0), { object: true, colour: true, size: true }, "c'è un piccolo uccello nero");
  has(A(2, 4, 0, 5), { colour: true, position: true }, 'qualcosa di blu a destra');
  has(A(4, 0, 0, 0), { object: true, colour: true }, "un'immagine di una goccia rossa");
  assert.equal(italianArticle('m', 'studente'), 'uno ');
  assert.equal(italianArticle('m', 'zaino'), 'uno ');
  assert.equal(italianArticle('m', 'albero'), 'un ');
  assert.equal(italianArticle('f', 'automobile'), "un'");
  assert.equal(italianArticle('f', 'casa'), 'una ');
});

test('German: case and gender endings after ein/eine', () => {
  const has = (attrs: Attributes, named: Partial<NamedAttributes>, text: string): void => {
    const all = variants('de', attrs, named);
    assert.ok(all.has(text), `missing "${text}" in ${[...all].join(' | ')}`);
  };
  has(A(0, 0, 0, 0), ALL, 'eine kleine rote Glocke oben links'); // nominative feminine
  has(A(1, 0, 0, 0), ALL, 'oben links sieht man einen kleinen roten Vogel'); // accusative masculine
  has(A(6, 3, 1, 4), ALL, 'ein Bild mit einem großen grünen Baum in der Mitte'); // dative masculine
  has(A(0, 0, 0, 0), { object: true, colour: true }, 'ein Bild mit einer roten Glocke'); // dative feminine
  has(A(7, 6, 0, 0), { object: true, colour: true, size: true }, 'ein kleines rosa Haus'); // rosa stays uninflected
  has(A(2, 1, 1, 2), { object: true, colour: true, size: true, position: true }, 'oben rechts ist ein großes orangefarbenes Auto');
});

test('Chinese and Japanese: word order, measure words, いる/ある, no spaces', () => {
  const zh = variants('zh', A(0, 0, 0, 0), ALL);
  assert.ok(zh.has('左上角的一个红色小铃铛'), [...zh].join(' | '));
  assert.ok(variants('zh', A(1, 4, 0, 5), { object: true, colour: true, position: true }).has('右边有一只蓝色的鸟'));
  assert.ok(variants('zh', A(6, 0, 1, 4), { object: true, size: true, position: true }).has('一棵大树在中间'));
  assert.ok(variants('zh', A(8, 0, 1, 4), { object: true }).has('这是一条鱼'));
  const ja = variants('ja', A(0, 0, 0, 0), ALL);
  assert.ok(ja.has('左上の小さな赤いベル'), [...ja].join(' | '));
  assert.ok(variants('ja', A(1, 4, 0, 5), { object: true, colour: true, position: true }).has('右に青い鳥がいる'));
  assert.ok(variants('ja', A(2, 4, 0, 5), { object: true, colour: true, position: true }).has('右に青い車がある'));
  assert.ok(variants('ja', A(2, 3, 0, 5), { object: true, colour: true }).has('緑の車の絵'));
});

test('translateWordByWord: greedy dictionary translation, unknown words kept, English unchanged', () => {
  assert.equal(translateWordByWord('une petite cloche rouge en haut à gauche', 'fr'), 'a small bell red in top at left');
  assert.equal(translateWordByWord('Oben links ist eine kleine rote Glocke', 'de'), 'top left is a small red bell');
  assert.equal(translateWordByWord('左上角的一个红色小铃铛', 'zh'), 'top left a red small bell');
  assert.equal(translateWordByWord('左上の小さな赤いベル', 'ja'), 'top left small red bell');
  assert.equal(translateWordByWord('un zorro rojo', 'es'), 'a zorro red');
  assert.equal(translateWordByWord('左上角有熊猫', 'zh'), 'top left there is 熊猫');
  assert.equal(translateWordByWord('a small red bell', 'en'), 'a small red bell');
});

test('parseLanguage and captionIn reject bad input with clear messages', () => {
  assert.equal(parseLanguage(' FR '), 'fr');
  assert.throws(() => parseLanguage('xx'), /unknown language code "xx"; supported: en \(English\), zh \(Chinese\), fr \(French\)/);
  assert.throws(() => captionIn('fr', A(0, 0, 0, 0), {}, new Rng(1)), /named flags no attribute/);
  assert.throws(() => captionIn('de', A(0, 9, 0, 0), ALL, new Rng(1)), /colour is 9/);
});
