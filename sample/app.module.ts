import { DynamicModule, Module } from '@nestjs/common';
import { CvdiagModule, CvdiagSink } from 'nestjs-cvdiag';
import { AgentController } from './agent/agent.controller';
import { AgentService } from './agent/agent.service';
import { LLM_SETTINGS, LlmSettings, OpenAiChatClient } from './llm/openai-chat.client';

@Module({})
export class AppModule {
  static register(llm: LlmSettings, sinks: CvdiagSink[], heartbeatIntervalMs: number): DynamicModule {
    return {
      module: AppModule,
      imports: [CvdiagModule.forRoot({ slug: 'sample-agent', heartbeatIntervalMs, sinks })],
      controllers: [AgentController],
      providers: [AgentService, OpenAiChatClient, { provide: LLM_SETTINGS, useValue: llm }],
    };
  }
}
