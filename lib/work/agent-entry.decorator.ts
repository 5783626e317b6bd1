import { AgentWork, AgentEntryOptions } from './agent-work.js';
import { instrumentMethod } from './instrument-method.js';

export type { AgentEntryOptions };

/**
 * Marks the method that runs an agent: `backend.agent.enter` when it is called,
 * `backend.agent.exit` when its work ends (returned value, settled Promise, end
 * of a returned stream, error, or abandonment).
 */
export function AgentEntry(options: AgentEntryOptions = {}): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const agentName = options.agentName ?? `${ownerName(target)}.${String(propertyKey)}`;
    return instrumentMethod('AgentEntry', (context, store) =>
      new AgentWork(context, store.parentSpanId, agentName, options.modelId ?? null).begin(),
    )(target, propertyKey, descriptor);
  };
}

export function ownerName(target: object): string {
  return (typeof target === 'function' ? target.name : target.constructor?.name) || 'Agent';
}
