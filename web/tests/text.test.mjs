// Unit test of web/text.js (node --test web/tests/text.test.mjs): untrusted
// text becomes text nodes plus visible markers, never HTML; the escapes are
// the ones the CLI prints (core/src/display.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendVisible, describe, needsMarkers, segments, setVisible, visibleText } from '../text.js';

/**
 * A minimal DOM: enough for text.js, and it refuses every way of parsing
 * HTML, so a test passes only if text is inserted as text.
 */
function fakeDocument() {
  const refuse = () => { throw new Error('HTML parsing is forbidden'); };
  class Node {
    constructor(doc) { this.ownerDocument = doc; this.childNodes = []; }
    appendChild(child) { this.childNodes.push(child); return child; }
    replaceChildren(...nodes) { this.childNodes = nodes; }
    get textContent() { return this.childNodes.map((c) => c.textContent).join(''); }
  }
  class Text extends Node {
    constructor(doc, data) { super(doc); this.data = data; }
    get textContent() { return this.data; }
  }
  class Element extends Node {
    constructor(doc, tag) { super(doc); this.tagName = tag.toUpperCase(); this.className = ''; this.title = ''; }
    set textContent(value) { this.childNodes = [new Text(this.ownerDocument, String(value))]; }
    get textContent() { return super.textContent; }
    set innerHTML(_) { refuse(); }
    set outerHTML(_) { refuse(); }
    insertAdjacentHTML() { refuse(); }
  }
  const doc = {
    createTextNode: (data) => new Text(doc, data),
    createElement: (tag) => new Element(doc, tag),
    write: refuse,
  };
  return doc;
}

test('terminal controls, C1, bidi and raw bytes become markers with exact titles', () => {
  const evil = 'evil\x1b[31mRED\x1b]0;pwned\x07\u009b\u202eexe\u{10ffff}\n';
  const doc = fakeDocument();
  const el = appendVisible(doc.createElement('td'), evil);
  const marks = el.childNodes.filter((n) => n.tagName === 'SPAN');
  assert.deepEqual(marks.map((m) => m.textContent), ['\\x1b', '\\x1b', '\\x07', '\\u{9b}', '\\u{202e}', '\\xff', '\\x0a']);
  assert.ok(marks.every((m) => m.className === 'esc'));
  assert.deepEqual(marks.map((m) => m.title), [
    'U+001B control character', 'U+001B control character', 'U+0007 control character',
    'U+009B C1 control character', 'U+202E RIGHT-TO-LEFT OVERRIDE', 'byte 0xff (not valid UTF-8)',
    'U+000A control character',
  ]);
  assert.equal(el.textContent, 'evil\\x1b[31mRED\\x1b]0;pwned\\x07\\u{9b}\\u{202e}exe\\xff\\x0a');
  assert.equal(visibleText(evil), el.textContent);
  // Nothing unsafe is left in any text node.
  for (const n of el.childNodes) assert.equal(needsMarkers(n.textContent), false);
});

test('HTML and script-like text stays text', () => {
  const html = '<img src=x onerror=alert(1)><script>alert(1)</script>&amp;';
  const doc = fakeDocument();
  const el = setVisible(doc.createElement('div'), html);
  assert.equal(el.childNodes.length, 1);
  assert.equal(el.childNodes[0].data, html);
  assert.equal(visibleText(html), html);
  assert.equal(needsMarkers(html), false);
});

test('plain and non-Latin text is untouched; the root and empty values are safe', () => {
  for (const plain of ['etc/passwd', 'héllo wörld', 'עברית', '日本語', '']) {
    assert.deepEqual(segments(plain), plain ? [{ text: plain }] : []);
    assert.equal(visibleText(plain), plain);
  }
  assert.equal(visibleText(null), '');
  assert.equal(visibleText(undefined), '');
});

test('escapes match the CLI: an escaped byte below 0x80 is shown as the code point it is', () => {
  assert.equal(describe(0x7f).escape, '\\x7f');
  assert.equal(describe(0x10ff80).escape, '\\x80');
  assert.equal(describe(0x10ff1b).escape, '\\u{10ff1b}');
  assert.equal(describe(0x2066).title, 'U+2066 LEFT-TO-RIGHT ISOLATE');
  // A surrogate pair is one code point.
  assert.deepEqual(segments('a\u{10ffc3}b').map((s) => s.text ?? s.escape), ['a', '\\xc3', 'b']);
});
