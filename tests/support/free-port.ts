export { freePort } from '../../shared/src/runtime/free-port';
