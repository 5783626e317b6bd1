import { AgentWork, AgentEntryOptions } from './agent-work.js';
import { cleanOption, instrumentMethod } from './instrument-method.js';

export type { AgentEntryOptions };

/**
 * Marks the method that runs an agent: `backend.agent.enter` when it is called,
 * `backend.agent.exit` when its work ends (returned value, settled Promise, end
 * of a returned stream, error, or abandonment).
 */
export function AgentEntry(options: AgentEntryOptions = {}): MethodDecorator {
  const modelId = cleanOption('AgentEntry', 'modelId', options.modelId);
  const givenName = cleanOption('AgentEntry', 'agentName', options.agentName);
  return (target, propertyKey, descriptor) => {
    const agentName = givenName ?? cleanOption('AgentEntry', 'agentName', `${ownerName(target)}.${String(propertyKey)}`)!;
    return instrumentMethod('AgentEntry', (context, store) =>
      new AgentWork(context, store.parentSpanId, agentName, modelId).begin(),
    )(target, propertyKey, descriptor);
  };
}

export function ownerName(target: object): string {
  return (typeof target === 'function' ? target.name : target.constructor?.name) || 'Agent';
}
