'use strict';
// Talking to the server's JSON API (docs/dashboard.md). A token given as ?token= in the page's
// URL is sent on every call as "Authorization: Bearer", which the server requires when it has one.
const Api = (() => {
  const token = new URLSearchParams(location.search).get('token');

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function request(method, path, query, body) {
    const url = new URL(path, location.origin);
    for (const [key, value] of Object.entries(query || {})) {
      if (value !== null && value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const headers = {Accept: 'application/json'};
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = {method, headers, cache: 'no-store', credentials: 'omit'};
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      throw new ApiError(0, `the dashboard server cannot be reached (${error.message})`);
    }
    let document = null;
    try {
      document = await response.json();
    } catch (error) {
      document = null;
    }
    if (!response.ok) {
      const message = document && typeof document.error === 'string' ? document.error : `HTTP ${response.status}`;
      throw new ApiError(response.status, message);
    }
    return document;
  }

  return {
    ApiError,
    get: (path, query) => request('GET', path, query),
    post: (path, body) => request('POST', path, undefined, body),
  };
})();
