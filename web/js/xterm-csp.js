// xterm.js under this page's Content-Security-Policy (style-src 'self', no
// 'unsafe-inline'). xterm.js 6 writes the CSS it computes (cell size,
// theme colours, scrollbar) into <style> elements it makes with
// document.createElement('style'), which the CSP refuses, leaving the
// terminal unstyled. This page makes no <style> of its own (the CSP would
// refuse it too), so createElement('style') gives a stand-in element whose
// text goes into a constructed stylesheet adopted by the document (CSSOM,
// which the CSP allows) and whose removal drops it. Imported before xterm.js.
// SPDX-License-Identifier: LGPL-2.1-or-later

const createElement = Document.prototype.createElement;

function standIn(doc) {
  const el = createElement.call(doc, 'gv-xterm-style');
  el.hidden = true;
  const sheet = new CSSStyleSheet();
  let text = '';
  const adopt = () => {
    if (!doc.adoptedStyleSheets.includes(sheet)) doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
  };
  Object.defineProperty(el, 'textContent', {
    get: () => text,
    set: (value) => {
      text = String(value ?? '');
      sheet.replaceSync(text);
      adopt();
    },
  });
  const remove = el.remove.bind(el);
  el.remove = () => {
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => s !== sheet);
    remove();
  };
  return el;
}

if (typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
  Document.prototype.createElement = function (name, options) {
    if (typeof name === 'string' && name.toLowerCase() === 'style') return standIn(this);
    return createElement.call(this, name, options);
  };
}
