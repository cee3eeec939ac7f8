// `use:scrollHint` on a horizontally scrollable box (a wide table on a phone): while
// content lies beyond an edge the box carries `data-more-left` / `data-more-right`,
// and app.css shades that edge, so a cut-off table shows that it scrolls. A box that
// scrolls is also made focusable, for keyboard users (axe: scrollable-region-focusable).
export function scrollHint(node: HTMLElement) {
  const update = () => {
    const overflow = node.scrollWidth - node.clientWidth;
    node.toggleAttribute('data-more-left', node.scrollLeft > 1);
    node.toggleAttribute('data-more-right', node.scrollLeft < overflow - 1);
    if (overflow > 1) node.tabIndex = 0;
    else node.removeAttribute('tabindex');
  };
  // The box resizes with the window; its content when rows load or change.
  const sizes = new ResizeObserver(update);
  sizes.observe(node);
  for (const child of node.children) sizes.observe(child);
  node.addEventListener('scroll', update, { passive: true });
  update();
  return {
    destroy() {
      sizes.disconnect();
      node.removeEventListener('scroll', update);
    },
  };
}
