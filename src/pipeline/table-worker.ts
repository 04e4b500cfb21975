/** Worker-thread entry of table builds (table-suppression.ts): the suppression engine, off the main thread. */
import { serveTasks } from '../util/worker-pool.js';
import { suppressHere, type TableTasks } from './table-suppression.js';

serveTasks<TableTasks>({ suppress: suppressHere });
