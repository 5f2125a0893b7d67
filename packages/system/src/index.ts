// @drbook/system: the low-level helpers both drbook and its sandbox stand on (no
// knowledge of runbooks, hosts or clusters): is a process alive, stop a process group
// (the one SIGTERM-grace-SIGKILL), durable file writes, an abortable sleep, POSIX
// shell quoting.

export { isProcessAlive, processStartTime, readProcStat, type IsAlive, type ProcStat } from './process-alive.js';
export { terminateProcesses, terminateProcessGroup, type TerminateOptions, type TerminateReport } from './terminate.js';
export { sha256File, syncPath } from './durable-files.js';
export { sleep } from './sleep.js';
export { escapeInDoubleQuotes, escapeInSingleQuotes, quoteArg } from './quote.js';
