import { expect } from '@jest/globals';
import { terminalOf } from 'nestjs-cvdiag/analysis';
import type { ObservableLlm } from '../fixtures/stream-shapes';
import { StdoutCapture } from './cvdiag-capture';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { waitFor } from './nest-app';

/**
 * After a client left while its handler awaited an LLM call: one request,
 * ended by sse.aborted rst; its agent and LLM work ended as abandoned after the
 * terminal, no heartbeat after it, and the LLM call saw the abort.
 */
export async function expectAbandonedCall(capture: StdoutCapture, llm: ObservableLlm): Promise<void> {
  await waitFor(() => terminalOf(capture.rows()) !== undefined && capture.rows().some((row) => row.boundary === 'backend.agent.exit'), 'the terminal and agent.exit');
  const rows = capture.rows();
  assertValidRows(rows);
  const terminal = terminalOf(rows)!;
  expect(terminal.boundary).toBe('backend.sse.aborted');
  expect(terminal.metadata.termination_kind).toBe('rst');
  const exit = rows.find((row) => row.boundary === 'backend.agent.exit')!;
  const response = rows.find((row) => row.boundary === 'backend.llm.call.response')!;
  expect(exit.outcome).toBe('err');
  expect(response.outcome).toBe('err');
  expect(response.metadata.error_class).toBe('Abandoned');
  const terminalAt = rows.indexOf(terminal);
  expect(rows.filter((row, index) => row.boundary === 'backend.llm.call.heartbeat' && index > terminalAt)).toEqual([]);
  await waitFor(() => llm.aborted === 1, 'the LLM call to see the abort');
}
