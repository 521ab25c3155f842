/**
 * The record card's component tree (from `@hubspot/ui-extensions/testing`'s renderer) as HTML: each
 * ui-extensions component the card uses is drawn by a small stand-in that approximates HubSpot's
 * look (HubSpot Canvas: Lexend Deca / Avenir-like sans, #33475b text, light tag fills). Only the
 * components and prop values listed here are known: anything else throws, so the preview cannot
 * silently drift from the card (a new component or variant needs a stand-in here first).
 *
 * The prop values are the ones the package types (0.17.0, `dist/shared.synced/types/`: `Flex`
 * direction and gap, `AllDistances` with its short aliases, in `components/layouts.synced.d.ts` and
 * `shared.synced.d.ts`; `Tag` variant in `tag.synced.d.ts`; `Text` format in `text.synced.d.ts`);
 * the pixel values and colours are our approximation, not HubSpot's.
 */
import {
  RenderedNodeType,
  type RenderedChildNode,
  type RenderedFragmentNode,
  type RenderedRootNode,
} from '@hubspot/ui-extensions/testing';

type Node = RenderedChildNode | RenderedFragmentNode | RenderedRootNode;
type Props = Readonly<Record<string, unknown>>;

export class UnknownComponentError extends Error {}

const GAPS: Record<string, string> = {
  flush: '0',
  'extra-small': '4px',
  small: '8px',
  medium: '16px',
  large: '24px',
  'extra-large': '32px',
  xs: '4px',
  sm: '8px',
  md: '16px',
  lg: '24px',
  xl: '32px',
};

/** Tag fill and border by variant (approximations of Canvas tags). */
const TAG_STYLES: Record<string, string> = {
  default: 'background:#eaf0f6;border-color:#cbd6e2',
  success: 'background:#e5f8f6;border-color:#00bda5',
  warning: 'background:#fef8f0;border-color:#f5c26b',
  error: 'background:#fde8e9;border-color:#f2545b',
  info: 'background:#e5f5f8;border-color:#7fd1de',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A prop's value from a known set, its default when absent; anything else throws. */
function pick(component: string, props: Props, prop: string, known: Record<string, string>, fallback: string): string {
  const value = props[prop] ?? fallback;
  const found = typeof value === 'string' ? known[value] : undefined;
  if (found === undefined)
    throw new UnknownComponentError(`card preview: <${component} ${prop}=${JSON.stringify(value)}> has no stand-in`);
  return found;
}

/** Props the stand-ins do not draw but may safely ignore. */
const IGNORED = new Set(['children', 'testId', 'key']);

function checkProps(component: string, props: Props, drawn: readonly string[]): void {
  for (const prop of Object.keys(props)) {
    if (!IGNORED.has(prop) && !drawn.includes(prop))
      throw new UnknownComponentError(`card preview: <${component}> prop ${prop} has no stand-in`);
  }
}

type StandIn = (props: Props, children: string, html: (node: Node) => string) => string;

/** The stand-ins, by ui-extensions component name, with the props each draws. */
const STAND_INS: Record<string, { readonly props: readonly string[]; readonly draw: StandIn }> = {
  Flex: {
    props: ['direction', 'gap'],
    draw: (props, children) =>
      `<div class="hs-flex" style="flex-direction:${pick('Flex', props, 'direction', { row: 'row', column: 'column' }, 'row')};gap:${pick('Flex', props, 'gap', GAPS, 'flush')}">${children}</div>`,
  },
  Heading: { props: [], draw: (_props, children) => `<h2 class="hs-heading">${children}</h2>` },
  Tag: {
    props: ['variant'],
    draw: (props, children) =>
      `<span class="hs-tag" style="${pick('Tag', props, 'variant', TAG_STYLES, 'default')}">${children}</span>`,
  },
  Text: {
    props: ['format'],
    draw: (props, children) => {
      const format = (props['format'] ?? {}) as Props;
      checkProps('Text format', format, ['italic', 'fontWeight']);
      const weight = pick('Text', format, 'fontWeight', { regular: '400', demibold: '600', bold: '700' }, 'regular');
      const style = `font-weight:${weight}${format['italic'] === true ? ';font-style:italic' : ''}`;
      return `<p class="hs-text" style="${style}">${children}</p>`;
    },
  },
  Divider: { props: [], draw: () => '<hr class="hs-divider">' },
  EmptyState: {
    props: ['title'],
    draw: (props, children, html) => {
      const title = props['title'];
      const drawn = typeof title === 'string' ? escapeHtml(title) : html(title as Node);
      return `<div class="hs-empty"><div class="hs-empty-title">${drawn}</div>${children}</div>`;
    },
  },
};

/** The HTML of a rendered node and its children; throws on a component or prop value without a stand-in. */
export function treeHtml(node: Node): string {
  if (node.nodeType === RenderedNodeType.Text) return escapeHtml(node.text);
  const children = node.childNodes.map(treeHtml).join('');
  if (node.nodeType !== RenderedNodeType.Element) return children;
  const standIn = STAND_INS[node.name];
  if (standIn === undefined) throw new UnknownComponentError(`card preview: <${node.name}> has no stand-in`);
  const props = node.props as Props;
  checkProps(node.name, props, standIn.props);
  return standIn.draw(props, children, treeHtml);
}

/** A whole page: the card as HubSpot's record sidebar frames it (white card, title bar). */
export function cardPage(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; padding: 24px; background: #f5f8fa; font-family: 'Lexend Deca', Avenir, 'Avenir Next', Helvetica, Arial, sans-serif; color: #33475b; font-size: 14px; line-height: 1.5; }
.hs-card { width: 340px; background: #fff; border: 1px solid #cbd6e2; border-radius: 4px; }
.hs-card-title { padding: 12px 16px; border-bottom: 1px solid #cbd6e2; font-weight: 600; font-size: 14px; }
.hs-card-body { padding: 16px; }
.hs-flex { display: flex; }
.hs-heading { margin: 0; font-size: 16px; font-weight: 600; }
.hs-tag { display: inline-block; padding: 0 8px; border: 1px solid; border-radius: 3px; font-size: 12px; font-weight: 600; line-height: 22px; text-transform: none; }
.hs-text { margin: 0; }
.hs-divider { width: 100%; margin: 4px 0; border: 0; border-top: 1px solid #cbd6e2; }
.hs-empty { text-align: center; padding: 16px; }
.hs-empty-title { font-size: 16px; font-weight: 600; margin-bottom: 8px; }
</style></head><body><div class="hs-card" data-card><div class="hs-card-title">${escapeHtml(title)}</div><div class="hs-card-body">${body}</div></div></body></html>`;
}
