// The side pane's tabs (WAI-ARIA tabs: one tab stop, arrow keys between
// tabs): File (preview), Image (summary and config), Verification,
// Efficiency, and Comparison while one is open. The open tab is
// `state.panel`, carried by the URL fragment as `panel=NAME`.
import { $ } from '../dom.js';
import { state, emit, writeFragment } from '../state.js';

/** The panel shown when the fragment names none. */
export const DEFAULT_PANEL = 'file';

const tabs = () => [...document.querySelectorAll('#tabs [role=tab]')];
const panelOf = (tab) => document.getElementById(tab.getAttribute('aria-controls'));

/** Opens panel `name` (unknown or hidden names open the default); `focus` moves focus to its tab. */
export function openPanel(name, { focus = false } = {}) {
  const all = tabs();
  const tab = all.find((t) => t.dataset.panel === name && !t.hidden) || all.find((t) => t.dataset.panel === DEFAULT_PANEL);
  for (const t of all) {
    const on = t === tab;
    t.setAttribute('aria-selected', on ? 'true' : 'false');
    t.tabIndex = on ? 0 : -1;
    t.classList.toggle('active', on);
    panelOf(t).hidden = !on;
  }
  const changed = state.panel !== (tab.dataset.panel === DEFAULT_PANEL ? null : tab.dataset.panel);
  state.panel = tab.dataset.panel === DEFAULT_PANEL ? null : tab.dataset.panel;
  if (focus) tab.focus();
  if (changed) {
    if (state.opened) writeFragment();
    emit('panel-opened', tab.dataset.panel);
  }
}

/** The open panel's name. */
export function currentPanel() { return state.panel || DEFAULT_PANEL; }

/** Shows or hides the tab of panel `name` (a hidden open tab gives way to the default). */
export function showTab(name, visible) {
  const tab = tabs().find((t) => t.dataset.panel === name);
  if (!tab) return;
  tab.hidden = !visible;
  if (!visible && currentPanel() === name) openPanel(DEFAULT_PANEL);
}

/** Wires clicks and arrow keys. */
export function initTabs() {
  const list = $('#tabs');
  list.addEventListener('click', (e) => {
    const tab = e.target.closest('[role=tab]');
    if (tab) openPanel(tab.dataset.panel);
  });
  list.addEventListener('keydown', (e) => {
    const visible = tabs().filter((t) => !t.hidden);
    const at = visible.indexOf(document.activeElement);
    if (at < 0) return;
    let next = null;
    if (e.key === 'ArrowRight') next = visible[(at + 1) % visible.length];
    else if (e.key === 'ArrowLeft') next = visible[(at - 1 + visible.length) % visible.length];
    else if (e.key === 'Home') next = visible[0];
    else if (e.key === 'End') next = visible[visible.length - 1];
    if (!next) return;
    e.preventDefault();
    openPanel(next.dataset.panel, { focus: true });
  });
  openPanel(state.fragment.panel || DEFAULT_PANEL);
}
