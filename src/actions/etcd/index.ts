import type { ActionDefinition } from '../action.js';
import { healthAction } from './health.js';
import { preflightAction } from './preflight.js';
import { restoreAction } from './restore.js';
import { snapshotSaveAction } from './snapshot-save.js';
import { snapshotVerifyAction } from './snapshot-verify.js';

/** etcd actions: snapshot-verify, snapshot-save, preflight, restore, health. */
export const etcdActions: ActionDefinition[] = [snapshotVerifyAction, snapshotSaveAction, preflightAction, restoreAction, healthAction];
