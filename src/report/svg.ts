/** DOT to SVG with Graphviz compiled to WebAssembly (@viz-js/viz): no system package needed. */
import { instance } from '@viz-js/viz';

let viz: Awaited<ReturnType<typeof instance>> | undefined;

export async function dotToSvg(dot: string): Promise<string> {
  viz ??= await instance();
  return viz.renderString(dot, { format: 'svg' });
}

/** The SVG without its XML prolog and doctype, for inlining in HTML. */
export function inlineSvg(svg: string): string {
  return svg.slice(svg.indexOf('<svg'));
}
