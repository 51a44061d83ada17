// The worker thread of `kvmuf check` (see src/cli/check-worker.ts): registers the
// TypeScript loader in this thread, then runs the worker.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/check-worker.ts');
