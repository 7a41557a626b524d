// Nurse console: small progressive touches. Every page works without this script.
'use strict';

document.addEventListener('submit', (ev) => {
  const form = ev.target;
  const question = form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) {
    ev.preventDefault();
    return;
  }
  // One submission only: a double tap must not admit twice.
  if (form.dataset.sent) {
    ev.preventDefault();
    return;
  }
  form.dataset.sent = '1';
  setTimeout(() => { delete form.dataset.sent; }, 4000);
});

document.addEventListener('click', async (ev) => {
  const el = ev.target.closest('[data-copy],[data-action]');
  if (!el) return;
  if (el.dataset.action === 'print') {
    window.print();
    return;
  }
  const src = document.getElementById(el.dataset.copy);
  if (!src) return;
  let ok = false;
  try {
    await navigator.clipboard.writeText(src.value);
    ok = true;
  } catch (e) {
    // No clipboard API off a secure origin: select the text and use the old command.
    src.focus();
    src.select();
    try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
  }
  // "Copied" beside the button that copied, in a status region that screen readers read.
  const done = document.querySelector('[data-copied-for="' + el.dataset.copy + '"]');
  if (ok && done) {
    done.textContent = el.dataset.copiedText || '';
    clearTimeout(done.timer);
    done.timer = setTimeout(() => { done.textContent = ''; }, 4000);
  }
});

// The enroll page says when the tablet has paired, without a reload: it asks every few
// seconds while its code is shown.
(() => {
  const status = document.querySelector('[data-watch-pairing]');
  if (!status || !window.fetch) return;
  status.textContent = status.dataset.waiting || '';
  const ask = async () => {
    try {
      const r = await fetch(status.dataset.watchPairing, { credentials: 'same-origin', cache: 'no-store' });
      if (r.ok) {
        const a = await r.json();
        if (a.paired) {
          status.textContent = a.text;
          status.className = 'note ok';
          return;
        }
      }
    } catch (e) {
      // Offline for a moment: ask again.
    }
    setTimeout(ask, 3000);
  };
  setTimeout(ask, 2000);
})();
