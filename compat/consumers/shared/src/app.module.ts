import { Module } from '@nestjs/common';
import { CvdiagModule } from 'nestjs-cvdiag';
import { AgentController } from './agent.controller.js';
import { AgentService } from './agent.service.js';

@Module({
  imports: [CvdiagModule.forRoot({ slug: 'consumer-app' })],
  controllers: [AgentController],
  providers: [AgentService],
})
export class AppModule {}
