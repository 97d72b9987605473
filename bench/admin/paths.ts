export { ROOT as REPO } from '../../test-support/run.js';
