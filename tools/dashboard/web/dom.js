'use strict';
// Building the page's elements. Every value that comes from the store goes in as text (a text
// node or textContent), never as HTML: an output holding a script tag shows as its characters.
const Dom = (() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function applyProps(node, props) {
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'class') node.setAttribute('class', value);
      else if (key === 'on') for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
      else if (key === 'data') for (const [name, item] of Object.entries(value)) node.dataset[name] = String(item);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    return node;
  }

  /// An HTML element: el('a', {href: '#/', class: 'x'}, 'text', child, ...).
  function el(tag, props, ...children) {
    return append(applyProps(document.createElement(tag), props), children);
  }

  /// An SVG element, likewise.
  function svg(tag, props, ...children) {
    return append(applyProps(document.createElementNS(SVG_NS, tag), props), children);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  /// Replaces the children of `node`.
  function replace(node, ...children) {
    return append(clear(node), children);
  }

  /// Milliseconds since the epoch as UTC, "2026-01-02 15:04:05.123Z"; 0 or null as "-".
  function time(ms) {
    if (!ms) return '-';
    return new Date(ms).toISOString().replace('T', ' ');
  }

  /// A duration for people: "850 ms", "12.3 s", "4 min 5 s", "2 h 3 min".
  function duration(ms) {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
    if (ms < 3600000) return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
    return `${Math.floor(ms / 3600000)} h ${Math.round((ms % 3600000) / 60000)} min`;
  }

  /// A status word as a coloured badge.
  function statusBadge(status, testid) {
    const word = status || 'unknown';
    return el('span', {class: `badge status-${word.toLowerCase()}`, 'data-testid': testid}, word);
  }

  /// A link to an instance's page.
  function instanceLink(id) {
    return el('a', {href: `#/instance/${encodeURIComponent(id)}`, class: 'instance-link'}, id);
  }

  /// A stored payload: a <pre> with the text as it is, "-" when absent, "(empty)" when empty.
  function payload(text, testid) {
    if (text === null || text === undefined) return el('span', {class: 'absent', 'data-testid': testid}, '-');
    if (text === '') return el('span', {class: 'absent', 'data-testid': testid}, '(empty)');
    return el('pre', {class: 'payload', 'data-testid': testid}, text);
  }

  return {el, svg, clear, replace, time, duration, statusBadge, instanceLink, payload};
})();
