import type { ActionDefinition } from '../../core/action.js';
import { confirmAction } from './confirm.js';
import { dirSwapAction } from './dir-swap.js';
import { fileCopyFromHostAction } from './file-copy-from-host.js';
import { fileMoveAction } from './file-move.js';
import { fileUploadAction } from './file-upload.js';
import { shellAction } from './shell.js';
import { waitAction } from './wait.js';

/** Engine-level actions: shell, file.move, file.upload, file.copy-from-host, dir.swap, wait, confirm. */
export const coreActions: ActionDefinition[] = [shellAction, fileMoveAction, fileUploadAction, fileCopyFromHostAction, dirSwapAction, waitAction, confirmAction];
