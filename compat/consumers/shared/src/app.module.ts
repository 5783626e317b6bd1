// src/app.module.ts
import { Module } from '@nestjs/common';
import { CvdiagModule } from 'nestjs-cvdiag';
import { AgentController } from './agent.controller.js';
import { AgentService } from './agent.service.js';
import { AguiController } from './agui.controller.js';
import { LlmClient } from './llm.client.js';

@Module({
  // Off until CVDIAG_BACKEND_EMITTER=1 (or enabled: true); the test kit turns it on in tests.
  imports: [CvdiagModule.forRoot({ slug: 'my-agent' })],
  controllers: [AgentController, AguiController],
  providers: [AgentService, LlmClient],
})
export class AppModule {}
