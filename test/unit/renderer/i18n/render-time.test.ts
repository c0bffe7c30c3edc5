import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Switching the language re-renders the tree with a new `t` (renderer/i18n/index.ts). Words read
 * outside rendering would keep the old language, so this checks the renderer's sources: no module
 * reads `t.` at load time (a constant of words), and every memo() component subscribes with
 * useLanguage(), which equal props would otherwise keep from rendering again.
 */

const RENDERER = resolve(import.meta.dirname, '../../../../renderer');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'i18n' ? [] : sources(path);
    return /\.tsx?$/u.test(entry.name) ? [path] : [];
  });
}

function parse(path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
}

const isFunction = (node: ts.Node) =>
  ts.isFunctionLike(node) && !ts.isCallSignatureDeclaration(node) && !ts.isFunctionTypeNode(node);

/** `t.something` evaluated when the module loads: anywhere outside a function body. */
function loadTimeReads(file: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunction(node)) return;
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 't') {
      found.push(`${relative(RENDERER, file.fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(file, visit);
  return found;
}

/** memo(...) components whose function does not call useLanguage(). */
function unsubscribedMemos(file: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'memo') {
      const component = node.arguments[0];
      if (!component || !/\buseLanguage\(\)/u.test(component.getText(file))) {
        found.push(`${relative(RENDERER, file.fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

const files = sources(RENDERER).map(parse);

describe('words are read at render time', () => {
  it('no module reads t. when it loads', () => {
    expect(files.flatMap(loadTimeReads)).toEqual([]);
  });

  it('every memo() component re-renders when the language changes', () => {
    expect(files.some((file) => /\bmemo\(/u.test(file.text))).toBe(true);
    expect(files.flatMap(unsubscribedMemos)).toEqual([]);
  });

  it('finds what it looks for', () => {
    const sample = ts.createSourceFile(
      'renderer/sample.tsx',
      'const LABEL = t.app.title;\nfunction ok() { return t.app.title; }\nconst Row = memo(function Row() { return null; });',
      ts.ScriptTarget.Latest,
      true,
      ts.ScriptKind.TSX,
    );
    expect(loadTimeReads(sample)).toHaveLength(1);
    expect(unsubscribedMemos(sample)).toHaveLength(1);
  });
});
