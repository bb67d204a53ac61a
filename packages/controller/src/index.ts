export { ServiceController } from './reconcile/serviceController.js';
export { readConfig, type ControllerConfig } from './config.js';
