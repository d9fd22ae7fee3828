// Settings and the API key, kept in localStorage (which may be unavailable: then they last
// for this page only).

const SETTINGS_KEY = 'tokenbus.settings';
const API_KEY_KEY = 'tokenbus.apiKey';

function read(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key, value) {
  try {
    if (value === null || value === '') {
      localStorage.removeItem(key);
    } else {
      localStorage.setItem(key, value);
    }
  } catch {
    // Storage is disabled or full; the value still applies to this page.
  }
}

export function loadSettings() {
  try {
    return JSON.parse(read(SETTINGS_KEY) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

export function saveSettings(settings) {
  write(SETTINGS_KEY, JSON.stringify(settings));
}

export function loadApiKey() {
  return read(API_KEY_KEY) ?? '';
}

export function saveApiKey(key) {
  write(API_KEY_KEY, key.trim());
}
