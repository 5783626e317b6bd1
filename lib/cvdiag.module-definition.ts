import { ConfigurableModuleBuilder } from '@nestjs/common';
import { CvdiagModuleOptions } from './options/cvdiag-options.interface.js';

export const {
  ConfigurableModuleClass: CvdiagConfigurableModule,
  MODULE_OPTIONS_TOKEN: CVDIAG_MODULE_OPTIONS,
  OPTIONS_TYPE: CVDIAG_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CVDIAG_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CvdiagModuleOptions>({ moduleName: 'Cvdiag' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCvdiagOptions')
  .build();
