/**
 * Just enough XML for SOAP envelopes: a parser for element trees (attributes, text, no mixed
 * content, no DTDs), the element ↔ Metadata-value mapping (repeated children become arrays) and
 * the response envelope / fault writers, in the shape jsforce's xml2js-based parser expects.
 */
import type { MdObject, MdValue } from './model.ts';

export interface XmlElement {
  /** Local name (namespace prefix stripped). */
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? '';
  });
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

/** Parses a document; throws on malformed input. */
export function parseXml(source: string): XmlElement {
  const tag =
    /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>/g;
  const attr = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let last = 0;
  for (let m = tag.exec(source); m !== null; m = tag.exec(source)) {
    const between = source.slice(last, m.index);
    last = tag.lastIndex;
    const top = stack.at(-1);
    if (top !== undefined && between.trim() !== '') top.text += decode(between);
    if (m[5] !== undefined) {
      if (top !== undefined) top.text += m[5];
      continue;
    }
    const [, closing, qname, attrText, selfClosing] = m;
    if (qname === undefined) continue;
    if (closing === '/') {
      const open = stack.pop();
      if (open?.name !== localName(qname)) throw new Error(`mismatched </${qname}>`);
      if (stack.length === 0) root = open;
      continue;
    }
    const attrs: Record<string, string> = {};
    for (let a = attr.exec(attrText ?? ''); a !== null; a = attr.exec(attrText ?? '')) {
      if (a[1] !== undefined) attrs[a[1]] = decode(a[2] ?? a[3] ?? '');
    }
    const element: XmlElement = { name: localName(qname), attrs, children: [], text: '' };
    if (top !== undefined) top.children.push(element);
    if (selfClosing === '/') {
      if (stack.length === 0) root = element;
    } else {
      stack.push(element);
    }
  }
  if (root === undefined || stack.length > 0) throw new Error('incomplete XML document');
  return root;
}

export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

/** An element as a Metadata value: text for leaves, objects for parents (repeats → arrays). */
export function toMd(element: XmlElement): MdValue {
  if (element.children.length === 0) return element.text;
  const out: MdObject = {};
  for (const c of element.children) {
    const value = toMd(c);
    const existing = out[c.name];
    if (existing === undefined) out[c.name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[c.name] = [existing, value];
  }
  return out;
}

/** A Metadata value back to XML (arrays repeat the element). */
export function mdToXml(name: string, value: MdValue, attrs = ''): string {
  if (Array.isArray(value)) return value.map((v) => mdToXml(name, v)).join('');
  if (typeof value === 'string') return `<${name}${attrs}>${escapeXml(value)}</${name}>`;
  const inner = Object.entries(value)
    .map(([k, v]) => mdToXml(k, v))
    .join('');
  return `<${name}${attrs}>${inner}</${name}>`;
}

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">';

export function soapEnvelope(body: string): string {
  return `${ENVELOPE_OPEN}<soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

export function soapFault(faultcode: string, faultstring: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="http://soap.sforce.com/2006/04/metadata">' +
    `<soapenv:Body><soapenv:Fault><faultcode>${escapeXml(faultcode)}</faultcode><faultstring>${escapeXml(faultstring)}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
  );
}
