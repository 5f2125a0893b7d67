import type { ActionDefinition } from '../../core/action.js';
import { ghostsAction } from './ghosts.js';
import { kubeletRestartAction } from './kubelet-restart.js';
import { nodesReadyAction } from './nodes-ready.js';
import { staticPodsStartAction } from './static-pods-start.js';
import { staticPodsStopAction } from './static-pods-stop.js';

/** Kubernetes actions: static-pods.stop/start, nodes-ready, kubelet-restart, ghosts. */
export const k8sActions: ActionDefinition[] = [staticPodsStopAction, staticPodsStartAction, nodesReadyAction, kubeletRestartAction, ghostsAction];
