// Plain HTTP calls to the gateway, with the API key as a Bearer token when one is set.

function headers(apiKey) {
  return apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
}

/** "GET /v1/status: HTTP 401 Unauthorized — <the gateway's error message>". */
export async function describeHttpError(response, what) {
  let detail = '';
  try {
    const body = await response.json();
    detail = body?.error?.message ?? '';
  } catch {
    // Not the JSON error envelope (a proxy's page, say): the status has to do.
  }
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  return `${what}: ${status}${detail ? ` — ${detail}` : ''}`;
}

async function get(path, apiKey) {
  try {
    return await fetch(path, { headers: headers(apiKey), cache: 'no-store' });
  } catch (e) {
    throw new Error(`GET ${path}: the gateway cannot be reached (${e.message}).`);
  }
}

async function getJson(path, apiKey) {
  const response = await get(path, apiKey);
  if (!response.ok) {
    throw new Error(await describeHttpError(response, `GET ${path}`));
  }
  return response.json();
}

/**
 * The model names the cluster serves: OpenAI's /v1/models where the gateway has it, otherwise the
 * models of the workers listed by /v1/status.
 */
export async function listModels(apiKey) {
  const models = await get('/v1/models', apiKey);
  if (models.ok) {
    const body = await models.json();
    return [...new Set((body.data ?? []).map((m) => m.id))].sort();
  }
  if (models.status !== 404 && models.status !== 405) {
    throw new Error(await describeHttpError(models, 'GET /v1/models'));
  }
  const status = await getJson('/v1/status', apiKey);
  return [...new Set((status.workers ?? []).map((w) => w.model).filter(Boolean))].sort();
}
