/**
 * Writes docs/api.md, the API reference of the package root (src/index.ts), from the sources with
 * the TypeScript compiler: each exported class, function, interface and type with its doc comment
 * and its public signatures, in export order. Regenerate after changing the public API:
 *
 *   npm run build && node dist/scripts/api-reference.js [--out docs/api.md] [--check]
 *
 * --check compares instead of writing and exits 1 when the file is out of date.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import { writeFileAtomic } from '../src/io/atomic.js';

const ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));

/** The doc comment of a node, as written (without the comment markers). */
function docOf(node: ts.Node, source: ts.SourceFile): string {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  const jsdoc = ranges
    .map((r) => source.text.slice(r.pos, r.end))
    .filter((c) => c.startsWith('/**'))
    .at(-1);
  if (!jsdoc) return '';
  return jsdoc
    .replace(/^\/\*\*\s?|\s*\*\/$/g, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

/** Declaration text without function bodies or private members. */
function signature(node: ts.Node, source: ts.SourceFile): string {
  const printer = ts.createPrinter({ removeComments: false });
  const strip = (ctx: ts.TransformationContext) => (root: ts.Node) => {
    const visit = (n: ts.Node): ts.Node | undefined => {
      if (ts.isClassElement(n) && (ts.getCombinedModifierFlags(n as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0)
        return undefined;
      if (ts.isParameter(n) && n.modifiers?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) return undefined;
      if (ts.isConstructorDeclaration(n) && n.modifiers?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) return undefined;
      if (ts.isPropertyDeclaration(n) && n.initializer) return ts.factory.updatePropertyDeclaration(n, n.modifiers, n.name, n.questionToken, n.type, undefined);
      if (ts.isMethodDeclaration(n))
        return ts.factory.updateMethodDeclaration(n, n.modifiers, n.asteriskToken, n.name, n.questionToken, n.typeParameters, n.parameters, n.type, undefined);
      if (ts.isGetAccessorDeclaration(n)) return ts.factory.updateGetAccessorDeclaration(n, n.modifiers, n.name, n.parameters, n.type, undefined);
      if (ts.isConstructorDeclaration(n))
        return ts.factory.updateConstructorDeclaration(
          n,
          n.modifiers,
          n.parameters.filter((p) => !p.modifiers?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)),
          undefined,
        );
      if (ts.isFunctionDeclaration(n))
        return ts.factory.updateFunctionDeclaration(n, n.modifiers, n.asteriskToken, n.name, n.typeParameters, n.parameters, n.type, undefined);
      if (ts.isVariableStatement(n)) return n;
      return ts.visitEachChild(n, visit, ctx);
    };
    return ts.visitNode(root, visit) as ts.Node;
  };
  const out = ts.transform(node, [strip]).transformed[0]!;
  const text = printer.printNode(ts.EmitHint.Unspecified, out, source);
  return text.replace(/^export (declare )?/, '').replace(/\bexport /g, '');
}

export function apiReference(): string {
  const entry = join(ROOT, 'src', 'index.ts');
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (p) => readFileSync(p, 'utf8')).config as { compilerOptions: unknown };
  const options = ts.convertCompilerOptionsFromJson(config.compilerOptions, ROOT).options;
  const program = ts.createProgram([entry], { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const lines = [
    '# gluegen API reference',
    '',
    'Generated from the sources by `node dist/scripts/api-reference.js` (see scripts/api-reference.ts); do not edit by hand.',
    "Everything here is exported from the package root: `import { ... } from 'gluegen'`.",
    '',
  ];
  for (const exported of checker.getExportsOfModule(module)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decl = symbol.declarations?.[0];
    if (!decl) continue;
    const source = decl.getSourceFile();
    const node = ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
    const kind = ts.isClassDeclaration(node)
      ? 'class'
      : ts.isInterfaceDeclaration(node)
        ? 'interface'
        : ts.isTypeAliasDeclaration(node)
          ? 'type'
          : ts.isFunctionDeclaration(node)
            ? 'function'
            : 'const';
    const from = source.fileName.slice(ROOT.length + 1);
    lines.push(`## ${exported.name} (${kind})`, '', `Defined in \`${from}\`.`, '');
    const doc = docOf(node, source);
    if (doc) lines.push(doc, '');
    lines.push('```ts', signature(node, source), '```', '');
  }
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'docs', 'api.md') }, check: { type: 'boolean' } } });
  const text = apiReference();
  if (values.check) {
    let current = '';
    try {
      current = readFileSync(values.out!, 'utf8');
    } catch {
      // missing counts as out of date
    }
    if (current !== text) {
      console.error(`api-reference: ${values.out} is out of date; run node dist/scripts/api-reference.js`);
      process.exitCode = 1;
    }
  } else {
    await writeFileAtomic(values.out!, text);
    console.log(`wrote ${values.out}`);
  }
}
