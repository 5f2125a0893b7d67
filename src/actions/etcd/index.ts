import type { ActionDefinition } from '../../core/action.js';
import { dataDirReadyAction } from './data-dir-ready.js';
import { healthAction } from './health.js';
import { preflightAction } from './preflight.js';
import { quotaAction } from './quota.js';
import { restoreAction } from './restore.js';
import { snapshotSaveAction } from './snapshot-save.js';
import { snapshotVerifyAction } from './snapshot-verify.js';

/** etcd actions: snapshot-verify, snapshot-save, preflight, restore, health; data-dir-ready and quota (H9) between the swap and the first start. */
export const etcdActions: ActionDefinition[] = [snapshotVerifyAction, snapshotSaveAction, preflightAction, restoreAction, healthAction, dataDirReadyAction, quotaAction];
