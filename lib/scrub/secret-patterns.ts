/**
 * The secret shapes `scrub()` removes. Every pattern is a literal prefix followed
 * by one character class repeated, with no nested or overlapping quantifiers, so
 * V8's backtracking engine runs each of them in time linear in the input.
 * URL userinfo is not a regex at all (see `redactUrlUserinfo`), because a pattern
 * that finds `scheme://` has to scan back over the scheme, which is quadratic.
 */

/** `api_key=…`, `"authorization": "…"`, `password: …`: secrets named by their key. */
export const KEY_VALUE_PATTERN =
  /(api[_-]?key|apikey|access[_-]?token|auth[_-]?token|refresh[_-]?token|id[_-]?token|client[_-]?secret|secret[_-]?key|secret|password|passwd|authorization|x-api-key|token)(["']?[ \t]*[:=][ \t]*)("[^"\r\n]*"|'[^'\r\n]*'|(?:(?:bearer|basic|token|digest)[ \t]+)?[^\s,;&"'}]+)/gi;

/** `Bearer <token>` in any case. */
export const BEARER_PATTERN = /\bbearer[ \t]+[A-Za-z0-9\-._~+/]+=*/gi;

/**
 * Provider keys. `\b` keeps words such as `ask-me-later` and `task-list`: the `sk`
 * inside them follows a letter, so no word boundary precedes it.
 */
export const PROVIDER_KEY_PATTERN = new RegExp(
  '\\b(?:' +
    [
      '(?:sk|pk|rk)-[A-Za-z0-9_-]{4,}', // OpenAI, Anthropic and look-alike test keys
      '(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{8,}', // Stripe
      'gh[pousr]_[A-Za-z0-9]{16,}', // GitHub tokens
      'github_pat_[A-Za-z0-9_]{20,}',
      'xox[abprs]-[A-Za-z0-9-]{8,}', // Slack
      '(?:AKIA|ASIA)[0-9A-Z]{16}', // AWS access key ids
      'AIza[0-9A-Za-z_-]{30,}', // Google API keys
      'hf_[A-Za-z0-9]{20,}', // Hugging Face
      // JWTs are not here: a pattern needing a `.` after a greedy run is quadratic (see redactJwts).
    ].join('|') +
    ')',
  'g',
);

/**
 * What each pattern above cannot match without: a text none of these finds
 * cannot hold that family of secret, so its (slower) pass is skipped. Each is a
 * superset of its pattern's literal parts; keep them in step.
 */
export const NEEDED_FOR_KEY_VALUE = /key|token|secret|passw|authorization/i;
export const NEEDED_FOR_BEARER = /bearer/i;
export const NEEDED_FOR_PROVIDER_KEY = /[spr]k[-_]|gh[pousr]_|github_pat_|xox[abprs]-|AKIA|ASIA|AIza|hf_/;
