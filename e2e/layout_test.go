package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"bedside/internal/browsertest"
)

// layoutJS lists what a person could not read or reach on the layer of the page that shows
// (root): text or a button that leaves the viewport sideways, is cut off by a box that clips
// it, spills out of its button, or overlaps another; and an essential control (the call's
// buttons) that is not wholly on screen without scrolling.
const layoutJS = `((root, essential) => {
  const vw = document.documentElement.clientWidth, vh = window.innerHeight;
  const out = [];
  const name = (el) => el.id ? '#' + el.id : el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
  const shown = (el) => {
    if (el.closest('[hidden], .visually-hidden')) return false;
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true, opacityProperty: false})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const textRect = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return range.getBoundingClientRect();
  };
  const layer = document.querySelector(root);
  const items = [];
  for (const el of layer.querySelectorAll('*')) {
    if (!shown(el)) continue;
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (el.tagName === 'BUTTON') items.push({el, r: el.getBoundingClientRect(), button: true});
    else if (ownText && !el.closest('button')) items.push({el, r: textRect(el)});
    if (el.tagName === 'BUTTON' || ownText) {
      // Text that spills out of its own box (a button's label, a word too long).
      const t = textRect(el), b = el.getBoundingClientRect();
      if (t.width && (t.left < b.left - 1 || t.right > b.right + 1)) out.push(name(el) + ' text spills sideways out of its box');
    }
  }
  const clippers = (el) => {
    const list = [];
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible') list.push({a, scrolls: s.overflowY === 'auto' || s.overflowY === 'scroll'});
    }
    return list;
  };
  const inFixed = (el) => {
    for (let a = el; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.position === 'fixed') return s.overflowY === 'auto' || s.overflowY === 'scroll' ? 'scrolls' : 'fixed';
    }
    return '';
  };
  for (const {el, r} of items) {
    const n = name(el);
    if (r.left < -1 || r.right > vw + 1) out.push(n + ' leaves the viewport sideways (' + Math.round(r.left) + '..' + Math.round(r.right) + ' of ' + vw + ')');
    if (inFixed(el) === 'fixed' && (r.top < -1 || r.bottom > vh + 1)) out.push(n + ' is off screen in a layer that cannot scroll');
    for (const {a, scrolls} of clippers(el)) {
      const c = a.getBoundingClientRect();
      const sideways = r.left < c.left - 1 || r.right > c.right + 1;
      const down = !scrolls && (r.top < c.top - 1 || r.bottom > c.bottom + 1);
      if (sideways || down) out.push(n + ' is cut off by ' + name(a));
    }
  }
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const a = items[i], b = items[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (w > 1 && h > 1) out.push(name(a.el) + ' overlaps ' + name(b.el));
    }
  }
  for (const sel of essential) {
    const el = document.querySelector(sel);
    if (!el || !shown(el)) { out.push(sel + ' is not shown'); continue; }
    const r = el.getBoundingClientRect();
    if (r.top < -1 || r.left < -1 || r.bottom > vh + 1 || r.right > vw + 1) out.push(sel + ' is not wholly on screen (' + [r.left, r.top, r.right, r.bottom].map(Math.round) + ' of ' + vw + 'x' + vh + ')');
  }
  return out;
})`

// screen is a viewport size the family page must hold at.
type screen struct{ w, h int }

func (s screen) String() string { return fmt.Sprintf("%dx%d", s.w, s.h) }

// phoneScreens are a small phone, a common phone, and a common phone on its side.
var phoneScreens = []screen{{320, 640}, {390, 844}, {844, 390}}

// checkScreens resizes tab to each of phoneScreens and checks that what layer root shows
// fits, that the essential controls are on screen, and that axe-core finds nothing; it
// saves a screenshot of each to $BEDSIDE_E2E_SHOTS as name-WxH.png.
func checkScreens(t *testing.T, tab browsertest.Tab, name, root string, essential ...string) {
	t.Helper()
	args, _ := json.Marshal([]any{root, append([]string{}, essential...)})
	for _, s := range phoneScreens {
		tab.Resize(s.w, s.h)
		tab.EvalJSON(`new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))`)
		where := fmt.Sprintf("%s %s %s", tab.Name(), name, s)
		for _, p := range browsertest.EvalAs[[]string](t, tab, layoutJS+`(...`+string(args)+`)`) {
			t.Errorf("%s: %s", where, p)
		}
		for _, v := range browsertest.Axe(t, tab) {
			t.Errorf("%s: axe: %s", where, v)
		}
		saveTabShot(t, tab, fmt.Sprintf("%s-%s-%s", tab.Name(), name, s))
	}
	tab.Resize(phoneScreens[1].w, phoneScreens[1].h)
}

// saveTabShot saves what tab shows to $BEDSIDE_E2E_SHOTS/name.png when that names a directory.
func saveTabShot(t *testing.T, tab browsertest.Tab, name string) {
	t.Helper()
	dir := os.Getenv("BEDSIDE_E2E_SHOTS")
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), tab.Screenshot(), 0o644); err != nil {
		t.Fatal(err)
	}
}
