// HTTP for the inbox: a CSRF-aware fetch of /api/v1/ with the errors the API answers.

function cookie(name) {
  const match = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
}

export class ApiError extends Error {
  constructor(message, { status = 0, code = "error", fields = {} } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

export async function api(path, { method = "GET", params = null, body = null } = {}) {
  let url = "/api/v1/" + path;
  if (params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") query.set(key, value);
    }
    const text = query.toString();
    if (text) url += "?" + text;
  }
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== null) {
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRFToken"] = cookie("csrftoken");
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw new ApiError("The server cannot be reached; nothing was lost, try again.", { code: "network" });
  }
  if (response.status === 401 || response.status === 403) {
    const data = await response.json().catch(() => ({}));
    if (data.error && data.error.code === "not_authenticated") {
      window.location.assign("/login/?next=/inbox/");
    }
    throw new ApiError((data.error && data.error.message) || "Not allowed.", { status: response.status });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = data.error || {};
    throw new ApiError(error.message || `Request failed (${response.status}).`, {
      status: response.status,
      code: error.code,
      fields: error.fields,
    });
  }
  return data;
}
