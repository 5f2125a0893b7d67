// `drbook runs | head -1`: the reader closed the pipe, and the next write fails with
// EPIPE. Handled here, once for every command: output to a closed stream is dropped
// quietly and the command goes on to its end and its own exit code. A run is never cut
// off because its output is not read any more — its journal still records everything.

const CLOSED = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

export function closedOutputIsDropped(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (CLOSED.has(error.code ?? '')) return;
      // Any other failure to write (EIO, ENOSPC on a redirected file) is real: let it surface.
      throw error;
    });
  }
}
