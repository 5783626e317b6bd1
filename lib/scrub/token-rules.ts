/**
 * Tokens recognisable by their prefix: API keys and access tokens whose
 * documented format starts with a fixed literal. Each rule is that literal, the
 * characters the rest of the token is made of, and how many of them it has.
 * A match must start a word (the character before it is not a letter, digit
 * or `_`), so `task-list` never looks like `sk-…`.
 *
 * Written from the providers' published formats. Keys without a prefix (Mistral,
 * Cohere, Azure OpenAI, Cloudflare) are found by the name they are assigned to
 * (`api_key=`, `"apiKey": …`, `api-key:`), not here.
 */

/** The characters a token's body is made of (bit flags, tested against `BODY_CLASS` in find-secrets). */
export const Body = {
  /** `[A-Za-z0-9]` */
  Alnum: 1,
  /** `[A-Za-z0-9_]` */
  Word: 2,
  /** `[A-Za-z0-9_-]`: base64url */
  Base64Url: 4,
  /** `[A-Za-z0-9_.-]` */
  Dotted: 8,
  /** `[A-Za-z0-9+/=_-]`: base64 of either alphabet, with padding */
  Base64: 16,
  /** `[0-9a-fA-F]` */
  Hex: 32,
  /** `[A-Z0-9]` */
  Upper: 64,
  /** `[A-Za-z0-9_/-]`: the path of a webhook URL */
  Path: 128,
  /** `[A-Za-z0-9._~+/-]` then `=` padding: what follows an HTTP auth scheme (RFC 6750 token68) */
  Token68: 256,
} as const;
export type Body = (typeof Body)[keyof typeof Body];

export interface TokenRule {
  /** The literal the token starts with (matched case-sensitively unless `anyCase`). */
  readonly prefix: string;
  readonly body: Body;
  /** Fewest body characters for a match: fewer is some other word that shares the prefix. */
  readonly min: number;
  /** Most body characters taken; the default is as many as there are. */
  readonly max?: number;
  /** The body must hold a digit (keys are random; `sk-spinner` is a CSS class). */
  readonly digit?: true;
  /** The prefix matches in any case (`Bearer`, `bearer`, `BEARER`). */
  readonly anyCase?: true;
  /** An auth scheme: white space, then a token68 that looks random (see `looksRandom`); only the token is redacted. */
  readonly scheme?: true;
  /**
   * A further check of the body's shape. For a rule without `max`, it must
   * fail for every suffix of a body it fails for (the search does not retry a
   * start inside a body that failed); a check that does not, like Airtable's
   * `.` at a fixed place, needs a `max`.
   */
  readonly shape?: (body: string) => boolean;
  /** A second part after the body: a literal, then characters of another kind (Airtable's `pat…14….<64 hex>`). */
  readonly then?: { readonly literal: string; readonly body: Body; readonly min: number };
  /** The family, as the README lists it. */
  readonly family: string;
}

function rules(family: string, prefixes: readonly string[], body: Body, min: number, extra: Partial<TokenRule> = {}): TokenRule[] {
  // Every rule has every field, in one order: one object shape keeps the search's property reads fast.
  return prefixes.map((prefix) => ({
    prefix,
    body,
    min,
    max: extra.max,
    digit: extra.digit,
    anyCase: extra.anyCase,
    scheme: extra.scheme,
    shape: extra.shape,
    then: extra.then,
    family,
  }));
}

export const TOKEN_RULES: readonly TokenRule[] = [
  // HTTP authorization schemes written out in text: `Bearer <token>`, `Basic <base64>`.
  ...rules('Bearer token', ['bearer'], Body.Token68, 4, { anyCase: true, scheme: true }),
  ...rules('Basic credentials', ['basic'], Body.Token68, 8, { anyCase: true, scheme: true }),

  // LLM providers
  // `sk-test-12345` and `sk-abcdefghijklmnopqrstuvwx` are keys; `sk-learn`, `sk-spinner` and `rk-3588` are not.
  ...rules('OpenAI, Anthropic, OpenRouter, DeepSeek, Langfuse and other `sk-`/`pk-`/`rk-` keys', ['sk-', 'pk-', 'rk-'], Body.Base64Url, 8, {
    shape: (body) => body.length >= 20 || /\d/.test(body),
  }),
  ...rules('Groq', ['gsk_'], Body.Alnum, 40),
  ...rules('xAI', ['xai-'], Body.Alnum, 40),
  ...rules('Replicate', ['r8_'], Body.Alnum, 30),
  ...rules('Perplexity', ['pplx-'], Body.Alnum, 40),
  ...rules('Fireworks', ['fw_'], Body.Alnum, 20, { digit: true }),
  ...rules('Together', ['tgp_v1_'], Body.Base64Url, 30),
  ...rules('Hugging Face', ['hf_', 'api_org_'], Body.Alnum, 30),
  ...rules('Cerebras', ['csk-'], Body.Alnum, 40),
  ...rules('NVIDIA', ['nvapi-'], Body.Base64Url, 40),
  ...rules('Voyage AI', ['pa-'], Body.Base64Url, 40, { digit: true }),
  ...rules('LangSmith', ['lsv2_'], Body.Word, 40),
  ...rules('Pinecone', ['pcsk_'], Body.Word, 40),
  ...rules('Tavily', ['tvly-'], Body.Base64Url, 20, { digit: true }),
  ...rules('Firecrawl', ['fc-'], Body.Hex, 32),
  ...rules('ElevenLabs', ['sk_'], Body.Hex, 40),
  ...rules('Google API key (Gemini, Maps, Firebase)', ['AIza'], Body.Base64Url, 30),
  ...rules('Google OAuth client secret', ['GOCSPX-'], Body.Base64Url, 20),
  ...rules('Google OAuth access token', ['ya29.'], Body.Dotted, 20),
  ...rules('Google OAuth refresh token', ['1//0'], Body.Base64Url, 30),

  // Code hosts and package registries
  ...rules('GitHub token', ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], Body.Alnum, 30),
  ...rules('GitHub fine-grained token', ['github_pat_'], Body.Word, 20),
  ...rules(
    'GitLab token',
    ['glpat-', 'glrt-', 'gldt-', 'glptt-', 'glsoat-', 'glcbt-', 'glimt-', 'glft-', 'glagent-', 'gloas-', 'glffct-', 'GR1348941'],
    Body.Base64Url,
    16,
  ),
  ...rules('Bitbucket app password', ['ATBB'], Body.Alnum, 32),
  ...rules('npm token', ['npm_'], Body.Alnum, 30),
  ...rules('PyPI token', ['pypi-'], Body.Base64Url, 50),
  ...rules('Docker Hub token', ['dckr_pat_'], Body.Base64Url, 20),
  ...rules('Clojars token', ['CLOJARS_'], Body.Alnum, 40),
  ...rules('Sourcegraph token', ['sgp_'], Body.Dotted, 40),
  ...rules('Postman API key', ['PMAK-'], Body.Base64Url, 50),

  // Clouds and infrastructure
  ...rules('AWS access key id', ['AKIA', 'ASIA', 'ABIA', 'ACCA'], Body.Upper, 16, { max: 16 }),
  ...rules('AWS access key id', ['A3T'], Body.Upper, 17, { max: 17 }),
  ...rules('Alibaba Cloud access key id', ['LTAI'], Body.Alnum, 20, { max: 24, digit: true }),
  ...rules('Tencent Cloud secret id', ['AKID'], Body.Alnum, 32),
  ...rules('DigitalOcean token', ['dop_v1_', 'doo_v1_', 'dor_v1_'], Body.Hex, 64),
  ...rules('HashiCorp Vault token', ['hvs.', 'hvb.', 'hvr.'], Body.Base64Url, 20),
  ...rules('Heroku token', ['HRKU-'], Body.Base64Url, 30),
  ...rules('Doppler token', ['dp.pt.', 'dp.st.', 'dp.sa.', 'dp.ct.', 'dp.scim.', 'dp.audit.'], Body.Alnum, 40),
  ...rules('Databricks token', ['dapi'], Body.Hex, 32),
  ...rules('Dynatrace token', ['dt0c01.'], Body.Dotted, 80),
  ...rules('Pulumi token', ['pul-'], Body.Hex, 40),
  ...rules('Grafana token', ['glc_'], Body.Base64, 32),
  ...rules('Grafana service account token', ['glsa_'], Body.Word, 32),
  ...rules('New Relic key', ['NRAK-', 'NRII-', 'NRJS-'], Body.Upper, 27),
  ...rules('Supabase token', ['sbp_'], Body.Hex, 40),
  ...rules('Supabase secret key', ['sb_secret_'], Body.Base64Url, 20),
  ...rules('PlanetScale token', ['pscale_tkn_', 'pscale_pw_', 'pscale_oauth_'], Body.Dotted, 32),
  ...rules('Fly.io token', ['fo1_'], Body.Base64Url, 40),
  ...rules('Mapbox secret token', ['sk.eyJ'], Body.Dotted, 40),
  ...rules('Age secret key', ['AGE-SECRET-KEY-1'], Body.Upper, 58),
  ...rules('Scalingo token', ['tk-us-'], Body.Base64Url, 40),
  ...rules('Infracost key', ['ico-'], Body.Alnum, 32),
  ...rules('Octopus Deploy key', ['API-'], Body.Upper, 25, { digit: true }),
  ...rules('Frame.io token', ['fio-u-'], Body.Base64Url, 64),
  ...rules('Adobe client secret', ['p8e-'], Body.Base64Url, 32),

  // Payments and commerce
  ...rules('Stripe secret and restricted key', ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'], Body.Alnum, 10),
  ...rules('Stripe (and Svix) webhook secret', ['whsec_'], Body.Base64, 24),
  ...rules('Shopify token', ['shpat_', 'shpca_', 'shppa_', 'shpss_'], Body.Hex, 32),
  ...rules('Square token', ['sq0atp-', 'sq0csp-'], Body.Base64Url, 22),
  ...rules('Square access token', ['EAAA'], Body.Base64Url, 60),
  ...rules('Plaid access token', ['access-sandbox-', 'access-development-', 'access-production-'], Body.Base64Url, 36),
  ...rules('Flutterwave secret key', ['FLWSECK_TEST-', 'FLWSECK-'], Body.Base64Url, 32),
  ...rules('Shippo token', ['shippo_live_', 'shippo_test_'], Body.Hex, 40),
  ...rules('Duffel token', ['duffel_test_', 'duffel_live_'], Body.Dotted, 40),
  ...rules('EasyPost key', ['EZAK', 'EZTK'], Body.Alnum, 50),

  // Messaging and productivity
  ...rules('Slack token', ['xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-', 'xoxe-', 'xoxe.xoxp-', 'xapp-'], Body.Base64Url, 10),
  ...rules('Slack webhook URL', ['hooks.slack.com/services/', 'hooks.slack.com/workflows/', 'hooks.slack.com/triggers/'], Body.Path, 20),
  ...rules('Discord webhook URL', ['discord.com/api/webhooks/', 'discordapp.com/api/webhooks/'], Body.Path, 20),
  ...rules('Microsoft Teams webhook URL', ['webhook.office.com/webhookb2/'], Body.Path, 20),
  ...rules('Twilio API key', ['SK'], Body.Hex, 32, { max: 32 }),
  ...rules('Mailgun key', ['key-'], Body.Hex, 32, { max: 32 }),
  ...rules('SendGrid key', ['SG.'], Body.Dotted, 50),
  ...rules('Brevo (Sendinblue) key', ['xkeysib-', 'xsmtpsib-'], Body.Base64Url, 64),
  ...rules('Atlassian API token', ['ATATT3'], Body.Base64, 100),
  ...rules('Linear key', ['lin_api_'], Body.Alnum, 40),
  ...rules('Notion token', ['ntn_'], Body.Alnum, 40),
  ...rules('Notion integration secret', ['secret_'], Body.Alnum, 43),
  ...rules('Figma token', ['figd_'], Body.Base64Url, 30),
  ...rules('Airtable token', ['pat'], Body.Alnum, 14, { max: 14, then: { literal: '.', body: Body.Hex, min: 64 } }),
  ...rules('Typeform token', ['tfp_'], Body.Dotted, 40),
  ...rules('ReadMe key', ['rdme_'], Body.Alnum, 60),
  ...rules('Prefect key', ['pnu_'], Body.Alnum, 36),
  ...rules('Sentry token', ['sntrys_'], Body.Base64, 50),
  ...rules('Sentry user token', ['sntryu_'], Body.Hex, 64),
  ...rules('Contentful token', ['CFPAT-'], Body.Base64Url, 43),
  ...rules('Facebook access token', ['EAACEdEose0cBA'], Body.Alnum, 20),
  ...rules('Dropbox token', ['sl.'], Body.Base64Url, 130),
];

/**
 * A word that follows an auth scheme or a key name in prose-like text and still
 * is a secret: long, or mixing character kinds as random tokens do. "bearer of
 * bad news", "token: expired", "password: must be…" stay; `hunter2`, `SHOUTED`,
 * `abc.def-ghi_123==` go.
 */
export function looksRandom(text: string, start = 0, end = text.length): boolean {
  const length = end - start;
  if (length >= 24) return true;
  if (length < 4) return false;
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    const lower = code >= 0x61 && code <= 0x7a;
    const upper = code >= 0x41 && code <= 0x5a;
    if (!lower && !upper) return true; // a digit or a symbol
    if (upper && index > start) return true; // capitals after the first letter
  }
  return false;
}
