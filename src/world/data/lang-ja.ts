/**
 * Japanese captions, no spaces. Noun phrase: [小さな/大きな] + [colour: i-adjective 赤い, or noun +
 * の 緑の] + noun: "左上の小さな赤いベル", "右に青い鳥がいる" (いる for animals, ある for things),
 * "何か赤いもの".
 */
import type { Rng } from '../../util/rng.js';
import type { Attributes, NamedAttributes } from './attributes.js';
import { buildDictionary, type LanguageModule } from './grammar.js';

/** [noun, animate?, English] per object, in OBJECTS order; animate nouns take いる, others ある. */
const NOUNS: readonly (readonly [string, boolean, string])[] = [
  ['ベル', false, 'bell'],
  ['鳥', true, 'bird'],
  ['車', false, 'car'],
  ['時計', false, 'clock'],
  ['しずく', false, 'drop'],
  ['星', false, 'star'],
  ['木', false, 'tree'],
  ['家', false, 'house'],
  ['魚', true, 'fish'],
  ['鍵', false, 'key'],
];
/** Colour as it stands before a noun, and the dictionary stem that carries its meaning. */
const COLOURS_JA: readonly (readonly [string, string, string])[] = [
  ['赤い', '赤い', 'red'],
  ['オレンジ色の', 'オレンジ色', 'orange'],
  ['黄色い', '黄色い', 'yellow'],
  ['緑の', '緑', 'green'],
  ['青い', '青い', 'blue'],
  ['紫の', '紫', 'purple'],
  ['ピンクの', 'ピンク', 'pink'],
  ['黒い', '黒い', 'black'],
];
/** Prenominal size forms (attributive 小さな and plain 小さい both precede nouns). */
const SIZES_JA: readonly (readonly [readonly string[], string])[] = [
  [['小さな', '小さい'], 'small'],
  [['大きな', '大きい'], 'large'],
];
const POSITIONS_JA: readonly (readonly [readonly string[], string])[] = [
  [['左上'], 'top left'],
  [['上'], 'top'],
  [['右上'], 'top right'],
  [['左', '左側'], 'left'],
  [['真ん中', '中央'], 'centre'],
  [['右', '右側'], 'right'],
  [['左下'], 'bottom left'],
  [['下'], 'bottom'],
  [['右下'], 'bottom right'],
];
const FUNCTION_WORDS: readonly (readonly [string, string])[] = [
  ['の', ''],
  ['が', ''],
  ['に', 'at'],
  ['ある', 'there is'],
  ['いる', 'there is'],
  ['絵', 'picture'],
  ['何か', 'something'],
  ['もの', 'thing'],
  ['物体', 'object'],
];

function caption(attrs: Attributes, named: NamedAttributes, rng: Rng): string {
  const position = named.position ? rng.pick(POSITIONS_JA[attrs.position]![0]) : undefined;
  const size = named.size ? rng.pick(SIZES_JA[attrs.size]![0]) : '';
  const colour = named.colour ? COLOURS_JA[attrs.colour]![0] : '';
  let noun: string;
  let animate = false;
  if (named.object) {
    [noun, animate] = NOUNS[attrs.object]! as [string, boolean, string];
  } else if (!size && !colour) {
    noun = '何か'; // only the position is named: "something"
  } else {
    // "何か赤いもの" (something red) or "小さな赤い物体" (a small red object)
    noun = rng.pick(['もの', '物体']);
  }
  const prefix = !named.object && !size && colour && rng.uniform() < 0.5 ? '何か' : '';
  const nounPhrase = `${prefix}${size}${colour}${noun}`;
  const verb = animate ? 'いる' : 'ある';
  switch (rng.int(3)) {
    case 0:
      return position ? `${position}の${nounPhrase}` : nounPhrase;
    case 1:
      return position ? `${position}に${nounPhrase}が${verb}` : `${nounPhrase}が${verb}`;
    default:
      return position ? `${position}に${verb}${nounPhrase}の絵` : `${nounPhrase}の絵`;
  }
}

export const JAPANESE: LanguageModule = {
  code: 'ja',
  name: 'Japanese',
  script: 'cjk',
  caption,
  dictionary: buildDictionary([
    ...NOUNS.map(([ja, , en]) => [ja, en] as const),
    ...COLOURS_JA.map(([, stem, en]) => [stem, en] as const),
    ...SIZES_JA.flatMap(([forms, en]) => forms.map((f) => [f, en] as const)),
    ...POSITIONS_JA.flatMap(([forms, en]) => forms.map((f) => [f, en] as const)),
    ...FUNCTION_WORDS,
  ]),
};
