// What Chromium actually put on the wire to one host and what came back, from
// the DevTools protocol's ExtraInfo events: the raw request headers (Origin
// included) and the raw response status and headers, even for requests whose
// response the page was refused (a failed CORS check hides it from the page
// and from Playwright's own request/response events).

/** Starts recording `page`'s traffic; `sent()` lists the requests that reached `host` (host:port). */
export async function recordWire(page, host) {
  const cdp = await page.context().newCDPSession(page);
  const byId = new Map();
  const entry = (id) => {
    if (!byId.has(id)) byId.set(id, { id });
    return byId.get(id);
  };
  cdp.on("Network.requestWillBeSent", (event) => {
    Object.assign(entry(event.requestId), { method: event.request.method, url: event.request.url });
  });
  cdp.on("Network.requestWillBeSentExtraInfo", (event) => {
    entry(event.requestId).requestHeaders = lowerCaseKeys(event.headers);
  });
  cdp.on("Network.responseReceived", (event) => {
    entry(event.requestId).resourceType = event.type;
  });
  cdp.on("Network.responseReceivedExtraInfo", (event) => {
    Object.assign(entry(event.requestId), {
      status: event.statusCode,
      responseHeaders: lowerCaseKeys(event.headers),
    });
  });
  cdp.on("Network.loadingFailed", (event) => {
    Object.assign(entry(event.requestId), {
      failure: event.errorText,
      corsError: event.corsErrorStatus?.corsError,
    });
  });
  await cdp.send("Network.enable");

  return {
    /** Requests sent to `host`, with the answer each got. */
    sent: () => [...byId.values()].filter((request) => request.requestHeaders?.host === host),
    /** Requests the page made to `host`, sent or not. */
    attempted: () => [...byId.values()].filter((request) => request.url?.startsWith(`http://${host}/`)),
    detach: () => cdp.detach().catch(() => {}),
  };
}

function lowerCaseKeys(headers) {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
