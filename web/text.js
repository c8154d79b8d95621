// Untrusted text made visible: the page's side of the presentation rule
// that the core applies for terminals (core/src/display.rs).
//
// Names, commands, env entries, labels and messages come from the image.
// They are always inserted as DOM text (never HTML), and the characters a
// reader could not see or that would reorder what is shown are replaced by
// a visible marker: `<span class="esc" title="…">\x1b</span>`.
//
//   - C0 controls (newline and tab included), DEL:   \x1b, \x0a, \x7f
//   - C1 controls (U+0080–U+009F):                   \u{9b}
//   - bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069): \u{202e}
//   - a byte that is not UTF-8 (the core's escaped byte U+10FF00 + byte,
//     see core/src/names.rs):                        \xff
//
// The marker's title says exactly what it stands for (code point and name,
// or the raw byte). Nothing here ever sets innerHTML: markers are elements
// made with createElement and filled with textContent.

/** First code point of the core's escaped bytes: byte b is ESCAPE_BASE + b. */
export const ESCAPE_BASE = 0x10ff00;

/** Names of the bidi controls, for the marker's title. */
const BIDI_NAMES = {
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
};

/** The byte an escaped byte stands for, or null for any other code point. */
export function escapedByte(codePoint) {
  const b = codePoint - ESCAPE_BASE;
  return b >= 0 && b <= 0xff ? b : null;
}

/** Whether a code point must be shown as a marker. */
export function isUnsafe(codePoint) {
  return codePoint <= 0x1f
    || (codePoint >= 0x7f && codePoint <= 0x9f)
    || (codePoint >= 0x202a && codePoint <= 0x202e)
    || (codePoint >= 0x2066 && codePoint <= 0x2069)
    || escapedByte(codePoint) !== null;
}

const hex2 = (n) => n.toString(16).padStart(2, '0');
const upper = (n) => n.toString(16).toUpperCase().padStart(4, '0');

/**
 * The escape shown for an unsafe code point (the same text the CLI prints)
 * and a description of exactly what it stands for.
 */
export function describe(codePoint) {
  const byte = escapedByte(codePoint);
  if (byte !== null && byte >= 0x80) {
    return { escape: `\\x${hex2(byte)}`, title: `byte 0x${hex2(byte)} (not valid UTF-8)` };
  }
  if (codePoint < 0x80) {
    const what = codePoint === 0x7f ? 'DELETE' : 'control character';
    return { escape: `\\x${hex2(codePoint)}`, title: `U+${upper(codePoint)} ${what}` };
  }
  const what = BIDI_NAMES[codePoint]
    || (codePoint <= 0x9f ? 'C1 control character' : 'private-use character');
  return { escape: `\\u{${codePoint.toString(16)}}`, title: `U+${upper(codePoint)} ${what}` };
}

/**
 * Splits text into runs: `{ text }` for plain text, `{ escape, title,
 * codePoint }` for each unsafe character. Pure (no DOM).
 */
export function segments(text) {
  const out = [];
  let plain = '';
  for (const ch of String(text ?? '')) {
    const cp = ch.codePointAt(0);
    if (isUnsafe(cp)) {
      if (plain) out.push({ text: plain });
      plain = '';
      out.push({ ...describe(cp), codePoint: cp });
    } else {
      plain += ch;
    }
  }
  if (plain) out.push({ text: plain });
  return out;
}

/** Whether text holds anything that would be shown as a marker. */
export function needsMarkers(text) {
  for (const ch of String(text ?? '')) if (isUnsafe(ch.codePointAt(0))) return true;
  return false;
}

/**
 * The text as one plain string with every unsafe character written as its
 * escape: for places that take a string only (a `title`, `aria-label`,
 * document.title, a download name, the clipboard).
 */
export function visibleText(text) {
  return segments(text).map((s) => s.text ?? s.escape).join('');
}

/**
 * Appends `text` to `parent` as text nodes, with a `<span class="esc">`
 * marker (title: what it stands for) for each unsafe character. Returns
 * `parent`. Uses only createTextNode/createElement/textContent.
 */
export function appendVisible(parent, text) {
  const doc = parent.ownerDocument;
  for (const s of segments(text)) {
    if (s.text !== undefined) {
      parent.appendChild(doc.createTextNode(s.text));
    } else {
      const mark = doc.createElement('span');
      mark.className = 'esc';
      mark.title = s.title;
      mark.textContent = s.escape;
      parent.appendChild(mark);
    }
  }
  return parent;
}

/**
 * Replaces the children of `element` with the visible form of `text`
 * (what `element.textContent = text` does, with markers). Returns it.
 */
export function setVisible(element, text) {
  element.replaceChildren();
  return appendVisible(element, text);
}
