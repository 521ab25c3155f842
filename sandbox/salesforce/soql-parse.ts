/**
 * The SOQL subset the fake org parses (soql.ts resolves and evaluates it):
 *
 *     SELECT f1, convertCurrency(f2) | COUNT() FROM Obj [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], …] [LIMIT n]
 *
 * where cond is `field op literal` (= != <> < <= > >=), `field [NOT] IN (lit, …)`, combined with
 * AND / OR / NOT and parentheses. Literals: 'strings' (backslash escapes), numbers, true/false,
 * null, datetimes (`2026-11-20T10:00:00Z`, `…+00:00`, `….000Z`) and dates (`2026-11-20`).
 * Anything else is a MALFORMED_QUERY, with Salesforce's row/column pointer.
 */
import { SfHttpError } from './errors.ts';
import { parseDateTime } from './model.ts';

type TokenKind = 'ident' | 'string' | 'number' | 'datetime' | 'date' | 'punct' | 'eof';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly pos: number;
}

export type Literal =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'datetime'; readonly value: number }
  | { readonly kind: 'date'; readonly value: string };

export interface FieldRef {
  readonly name: string;
  readonly pos: number;
  /** Selected as `convertCurrency(name)`. */
  readonly convert?: boolean;
}

export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Cond =
  | { readonly kind: 'cmp'; readonly field: FieldRef; readonly op: Op; readonly value: Literal; readonly pos: number }
  | {
      readonly kind: 'in';
      readonly field: FieldRef;
      readonly not: boolean;
      readonly values: Literal[];
      readonly pos: number;
    }
  | { readonly kind: 'and' | 'or'; readonly left: Cond; readonly right: Cond }
  | { readonly kind: 'not'; readonly cond: Cond };

export interface OrderItem {
  readonly field: FieldRef;
  readonly desc: boolean;
  readonly nullsLast: boolean;
}

export interface ParsedQuery {
  readonly count: boolean;
  readonly fields: FieldRef[];
  readonly object: FieldRef;
  readonly where: Cond | undefined;
  readonly orderBy: OrderItem[];
  readonly limit: number | undefined;
}

/** A SOQL error with Salesforce's `\n<soql>\n   ^\nERROR at Row:r:Column:c\n<detail>` message. */
export function soqlError(soql: string, pos: number, errorCode: string, detail: string): SfHttpError {
  const before = soql.slice(0, pos);
  const row = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const column = pos - lineStart + 1;
  const line = soql.split('\n')[row - 1] ?? '';
  const message = `\n${line}\n${' '.repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n${detail}`;
  return new SfHttpError(400, errorCode, message);
}

const DATETIME_LITERAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})/;
const DATE_LITERAL = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER_LITERAL = /^[+-]?\d+(?:\.\d+)?/;

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const c = soql.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = soql.slice(i);
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= soql.length)
          throw soqlError(
            soql,
            i,
            'MALFORMED_QUERY',
            'line 1:' + String(i) + " mismatched character '<EOF>' expecting '''",
          );
        const ch = soql.charAt(j);
        if (ch === '\\') {
          const next = soql.charAt(j + 1);
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          j += 2;
          continue;
        }
        if (ch === "'") break;
        value += ch;
        j++;
      }
      tokens.push({ kind: 'string', text: value, pos: i });
      i = j + 1;
      continue;
    }
    const dt = DATETIME_LITERAL.exec(rest) ?? undefined;
    if (dt !== undefined) {
      tokens.push({ kind: 'datetime', text: dt[0], pos: i });
      i += dt[0].length;
      continue;
    }
    const date = DATE_LITERAL.exec(rest) ?? undefined;
    if (date !== undefined) {
      tokens.push({ kind: 'date', text: date[0], pos: i });
      i += date[0].length;
      continue;
    }
    const num =
      /^\d/.test(c) || (/^[+-]\d/.test(rest) && tokens.at(-1)?.kind === 'punct') ? NUMBER_LITERAL.exec(rest) : null;
    if (num !== null) {
      tokens.push({ kind: 'number', text: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(rest);
    if (ident !== null) {
      tokens.push({ kind: 'ident', text: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    const punct = /^(?:!=|<>|<=|>=|[=<>(),])/.exec(rest);
    if (punct !== null) {
      tokens.push({ kind: 'punct', text: punct[0], pos: i });
      i += punct[0].length;
      continue;
    }
    throw soqlError(soql, i, 'MALFORMED_QUERY', `unexpected token: '${c}'`);
  }
  tokens.push({ kind: 'eof', text: '<EOF>', pos: soql.length });
  return tokens;
}

class Parser {
  readonly #soql: string;
  readonly #tokens: Token[];
  #at = 0;

  constructor(soql: string) {
    this.#soql = soql;
    this.#tokens = tokenize(soql);
  }

  #peek(): Token {
    return this.#tokens[this.#at] ?? { kind: 'eof', text: '<EOF>', pos: this.#soql.length };
  }

  #next(): Token {
    const token = this.#peek();
    if (token.kind !== 'eof') this.#at++;
    return token;
  }

  #isKeyword(word: string, token = this.#peek()): boolean {
    return token.kind === 'ident' && token.text.toUpperCase() === word;
  }

  #fail(token: Token, detail?: string): SfHttpError {
    return soqlError(this.#soql, token.pos, 'MALFORMED_QUERY', detail ?? `unexpected token: '${token.text}'`);
  }

  #expectKeyword(word: string): Token {
    const token = this.#next();
    if (!this.#isKeyword(word, token)) throw this.#fail(token);
    return token;
  }

  #expectPunct(text: string): void {
    const token = this.#next();
    if (token.kind !== 'punct' || token.text !== text) throw this.#fail(token);
  }

  #field(): FieldRef {
    const token = this.#next();
    if (token.kind !== 'ident' || RESERVED.has(token.text.toUpperCase())) throw this.#fail(token);
    return { name: token.text, pos: token.pos };
  }

  /** A field in the SELECT list: `Name` or `convertCurrency(Amount)` (only there: not in WHERE or ORDER BY). */
  #selected(): FieldRef {
    if (this.#isKeyword('CONVERTCURRENCY') && this.#tokens[this.#at + 1]?.text === '(') {
      this.#next();
      this.#expectPunct('(');
      const field = this.#field();
      this.#expectPunct(')');
      return { ...field, convert: true };
    }
    return this.#field();
  }

  parse(): ParsedQuery {
    this.#expectKeyword('SELECT');
    let count = false;
    const fields: FieldRef[] = [];
    const first = this.#peek();
    const afterFirst = this.#tokens[this.#at + 1];
    if (this.#isKeyword('COUNT') && afterFirst?.text === '(') {
      this.#next();
      this.#expectPunct('(');
      const close = this.#next();
      if (close.text !== ')') throw this.#fail(close, 'sandbox: only COUNT() is supported, not COUNT(field)');
      count = true;
    } else {
      if (first.kind !== 'ident') throw this.#fail(first);
      fields.push(this.#selected());
      while (this.#peek().text === ',') {
        this.#next();
        fields.push(this.#selected());
      }
    }
    this.#expectKeyword('FROM');
    const objectToken = this.#next();
    if (objectToken.kind !== 'ident') throw this.#fail(objectToken);
    const object = { name: objectToken.text, pos: objectToken.pos };
    let where: Cond | undefined;
    if (this.#isKeyword('WHERE')) {
      this.#next();
      where = this.#orExpr();
    }
    const orderBy: OrderItem[] = [];
    if (this.#isKeyword('ORDER')) {
      this.#next();
      this.#expectKeyword('BY');
      for (;;) {
        const field = this.#field();
        let desc = false;
        if (this.#isKeyword('ASC')) this.#next();
        else if (this.#isKeyword('DESC')) {
          this.#next();
          desc = true;
        }
        let nullsLast = desc;
        if (this.#isKeyword('NULLS')) {
          this.#next();
          const which = this.#next();
          if (this.#isKeyword('FIRST', which)) nullsLast = false;
          else if (this.#isKeyword('LAST', which)) nullsLast = true;
          else throw this.#fail(which);
        }
        orderBy.push({ field, desc, nullsLast });
        if (this.#peek().text !== ',') break;
        this.#next();
      }
    }
    let limit: number | undefined;
    if (this.#isKeyword('LIMIT')) {
      this.#next();
      const n = this.#next();
      if (n.kind !== 'number' || !/^\d+$/.test(n.text)) throw this.#fail(n);
      limit = Number(n.text);
    }
    const end = this.#next();
    if (end.kind !== 'eof') throw this.#fail(end);
    return { count, fields, object, where, orderBy, limit };
  }

  #orExpr(): Cond {
    let left = this.#andExpr();
    while (this.#isKeyword('OR')) {
      this.#next();
      left = { kind: 'or', left, right: this.#andExpr() };
    }
    return left;
  }

  #andExpr(): Cond {
    let left = this.#unary();
    while (this.#isKeyword('AND')) {
      this.#next();
      left = { kind: 'and', left, right: this.#unary() };
    }
    return left;
  }

  #unary(): Cond {
    if (this.#isKeyword('NOT')) {
      this.#next();
      return { kind: 'not', cond: this.#unary() };
    }
    if (this.#peek().text === '(') {
      this.#next();
      const inner = this.#orExpr();
      this.#expectPunct(')');
      return inner;
    }
    return this.#condition();
  }

  #condition(): Cond {
    const field = this.#field();
    const opToken = this.#next();
    if (this.#isKeyword('IN', opToken) || this.#isKeyword('NOT', opToken)) {
      const not = this.#isKeyword('NOT', opToken);
      if (not) this.#expectKeyword('IN');
      this.#expectPunct('(');
      const values = [this.#literal()];
      while (this.#peek().text === ',') {
        this.#next();
        values.push(this.#literal());
      }
      this.#expectPunct(')');
      return { kind: 'in', field, not, values, pos: opToken.pos };
    }
    if (opToken.kind !== 'punct' || !COMPARISONS.has(opToken.text)) throw this.#fail(opToken);
    const op = (opToken.text === '<>' ? '!=' : opToken.text) as Op;
    const valueToken = this.#peek();
    return { kind: 'cmp', field, op, value: this.#literal(), pos: valueToken.pos };
  }

  #literal(): Literal {
    const token = this.#next();
    switch (token.kind) {
      case 'string':
        return { kind: 'string', value: token.text };
      case 'number':
        return { kind: 'number', value: Number(token.text) };
      case 'datetime':
        return { kind: 'datetime', value: parseDateTime(token.text) };
      case 'date':
        return { kind: 'date', value: token.text };
      case 'ident': {
        const word = token.text.toUpperCase();
        if (word === 'TRUE' || word === 'FALSE') return { kind: 'boolean', value: word === 'TRUE' };
        if (word === 'NULL') return { kind: 'null' };
        throw this.#fail(token);
      }
      default:
        throw this.#fail(token);
    }
  }
}

const COMPARISONS = new Set(['=', '!=', '<>', '<', '<=', '>', '>=']);
const RESERVED = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'ORDER', 'BY', 'LIMIT', 'NULL']);

export function parseSoql(soql: string): ParsedQuery {
  return new Parser(soql).parse();
}
