/**
 * Chinese captions, no spaces. Noun phrase: 一 + measure word of the noun + [colour (+的)] + [小/大] +
 * noun: "左上角的一个红色小铃铛", "右边有一只蓝色的鸟", "一棵大树在中间", "一个绿色的东西".
 * Nouns avoid segmentation traps with 小/大 (挂钟, since "一个小时钟" reads as "one hour" + 钟).
 */
import type { Rng } from '../../util/rng.js';
import type { Attributes, NamedAttributes } from './attributes.js';
import { buildDictionary, type LanguageModule } from './grammar.js';

/** [noun, measure word, English] per object, in OBJECTS order. */
const NOUNS: readonly (readonly [string, string, string])[] = [
  ['铃铛', '个', 'bell'],
  ['鸟', '只', 'bird'],
  ['汽车', '辆', 'car'],
  ['挂钟', '个', 'clock'],
  ['水滴', '颗', 'drop'],
  ['星星', '颗', 'star'],
  ['树', '棵', 'tree'],
  ['房子', '座', 'house'],
  ['鱼', '条', 'fish'],
  ['钥匙', '把', 'key'],
];
/** Generic nouns when the object is unnamed ("thing", "object"), both counted with 个. */
const GENERIC_NOUNS: readonly (readonly [string, string, string])[] = [
  ['东西', '个', 'thing'],
  ['物体', '个', 'object'],
];
const COLOURS_ZH: readonly (readonly [string, string])[] = [
  ['红色', 'red'],
  ['橙色', 'orange'],
  ['黄色', 'yellow'],
  ['绿色', 'green'],
  ['蓝色', 'blue'],
  ['紫色', 'purple'],
  ['粉色', 'pink'],
  ['黑色', 'black'],
];
const SIZES_ZH: readonly (readonly [string, string])[] = [
  ['小', 'small'],
  ['大', 'large'],
];
/** Synonyms per position (first is the default), with the English they translate to. */
const POSITIONS_ZH: readonly (readonly [readonly string[], string])[] = [
  [['左上角', '左上方'], 'top left'],
  [['上方', '上面'], 'top'],
  [['右上角', '右上方'], 'top right'],
  [['左边', '左侧'], 'left'],
  [['中间', '中央'], 'centre'],
  [['右边', '右侧'], 'right'],
  [['左下角', '左下方'], 'bottom left'],
  [['下方', '下面'], 'bottom'],
  [['右下角', '右下方'], 'bottom right'],
];
const FUNCTION_WORDS: readonly (readonly [string, string])[] = [
  ...[...NOUNS, ...GENERIC_NOUNS].map(([, mw]) => [`一${mw}`, 'a'] as const),
  ['的', ''],
  ['有', 'there is'],
  ['在', 'at'],
  ['这是', 'this is'],
  ['图中', 'in the picture'],
];

function caption(attrs: Attributes, named: NamedAttributes, rng: Rng): string {
  const [noun, measure] = named.object ? NOUNS[attrs.object]! : rng.pick(GENERIC_NOUNS);
  const position = named.position ? rng.pick(POSITIONS_ZH[attrs.position]![0]) : undefined;
  const size = named.size ? SIZES_ZH[attrs.size]![0] : '';
  const colour = named.colour ? COLOURS_ZH[attrs.colour]![0] : '';
  // 的 after the colour is optional before a size word ("红色小铃铛" / "红色的小铃铛") and usual
  // before a bare noun ("红色的鸟"); 小/大 attach to the noun directly ("小铃铛", "大树").
  const de = colour && (!size || rng.uniform() < 0.5) ? '的' : '';
  const nounPhrase = `一${measure}${colour}${de}${size}${noun}`;
  switch (rng.int(3)) {
    case 0:
      return position ? `${position}的${nounPhrase}` : nounPhrase;
    case 1:
      return position ? `${position}有${nounPhrase}` : `图中有${nounPhrase}`;
    default:
      return position ? `${nounPhrase}在${position}` : `这是${nounPhrase}`;
  }
}

export const CHINESE: LanguageModule = {
  code: 'zh',
  name: 'Chinese',
  script: 'cjk',
  caption,
  dictionary: buildDictionary([
    ...[...NOUNS, ...GENERIC_NOUNS].map(([zh, , en]) => [zh, en] as const),
    ...[...COLOURS_ZH, ...SIZES_ZH],
    ...POSITIONS_ZH.flatMap(([forms, en]) => forms.map((f) => [f, en] as const)),
    ...FUNCTION_WORDS,
  ]),
};
