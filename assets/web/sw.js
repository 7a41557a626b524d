// The family page's service worker. It does one thing: bring the page to the front when the
// "is calling" notification is tapped (phones show notifications only through a worker).
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((list) => {
      const page = list.find((c) => new URL(c.url).pathname.startsWith('/j/'));
      return page ? page.focus() : undefined;
    }),
  );
});
