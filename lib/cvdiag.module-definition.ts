import { ConfigurableModuleBuilder } from '@nestjs/common';
import { CvdiagModuleOptions } from './options/cvdiag-options.interface.js';

/**
 * Options of `forRoot` and `forRootAsync` that shape the module itself, so
 * they cannot come from an async factory.
 */
export interface CvdiagModuleExtras {
  /**
   * Let CvdiagModule register its interceptor (APP_INTERCEPTOR), exception
   * filter (last global filter) and route guard (first global guard, only
   * when some route is @SkipCvdiag). Default true. `false` is for apps that
   * must order global enhancers themselves: register the exported
   * `CvdiagInterceptor`, `CvdiagExceptionFilter` and (with @SkipCvdiag routes)
   * `CvdiagRouteGuard` where they belong (README, "Ordering the enhancers").
   * The ingress listener, which writes every request's terminal row, is
   * attached either way.
   */
  registerEnhancers?: boolean;
}

export const {
  ConfigurableModuleClass: CvdiagConfigurableModule,
  MODULE_OPTIONS_TOKEN: CVDIAG_MODULE_OPTIONS,
  OPTIONS_TYPE: CVDIAG_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CVDIAG_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CvdiagModuleOptions>({ moduleName: 'Cvdiag' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCvdiagOptions')
  .setExtras<CvdiagModuleExtras>({ registerEnhancers: true }, (definition) => definition)
  .build();
