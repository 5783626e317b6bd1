import { CvdiagTier } from '../envelope/envelope.types.js';

const TRUTHY = new Set(['1', 'true', 'yes', 'on']);
const DEBUG_DEPLOYMENTS = new Set(['development', 'dev', 'test', 'staging', 'local', 'ci', 'preview']);

export function isTruthyFlag(value: string | undefined): boolean {
  return value !== undefined && TRUTHY.has(value.trim().toLowerCase());
}

/** The emitter switch: the option when set, else `CVDIAG_BACKEND_EMITTER`, read now. */
export function isEmitterEnabled(option: boolean | undefined): boolean {
  return option ?? isTruthyFlag(process.env.CVDIAG_BACKEND_EMITTER);
}

/** First non-blank of SHOWCASE_ENV, RAILWAY_ENVIRONMENT_NAME, NODE_ENV; trimmed, lowercased. */
export function deploymentLabel(env: NodeJS.ProcessEnv = process.env): string {
  for (const name of ['SHOWCASE_ENV', 'RAILWAY_ENVIRONMENT_NAME', 'NODE_ENV']) {
    const value = env[name]?.trim();
    if (value) return value.toLowerCase();
  }
  return '';
}

export interface TierDecision {
  tier: CvdiagTier;
  /** Set when debug was asked for and refused; the reason, for the one warning. */
  refusedDebug?: string;
}

/**
 * docs/contract.md section 9: the option, else CVDIAG_DEBUG / CVDIAG_VERBOSE; debug only in
 * development-like deployments and, with CVDIAG_DEBUG_ALLOW_LIST set, for listed
 * slugs. A refused debug falls back to verbose, the highest tier still allowed.
 */
export function resolveTier(option: CvdiagTier | undefined, slug: string, env: NodeJS.ProcessEnv = process.env): TierDecision {
  const wanted: CvdiagTier =
    option ?? (isTruthyFlag(env.CVDIAG_DEBUG) ? 'debug' : isTruthyFlag(env.CVDIAG_VERBOSE) ? 'verbose' : 'default');
  if (wanted !== 'debug') return { tier: wanted };

  const label = deploymentLabel(env);
  if (!DEBUG_DEPLOYMENTS.has(label)) {
    return {
      tier: 'verbose',
      refusedDebug: `debug tier refused in deployment "${label || '(unset)'}"; running at verbose. Debug is allowed in: ${[...DEBUG_DEPLOYMENTS].join(', ')}`,
    };
  }
  const allowList = env.CVDIAG_DEBUG_ALLOW_LIST;
  if (allowList !== undefined && allowList.trim() !== '') {
    const allowed = allowList.split(',').map((entry) => entry.trim().toLowerCase());
    if (!allowed.includes(slug)) {
      return { tier: 'verbose', refusedDebug: `debug tier refused for slug "${slug}": not in CVDIAG_DEBUG_ALLOW_LIST; running at verbose` };
    }
  }
  return { tier: 'debug' };
}
