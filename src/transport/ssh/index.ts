// The SSH side of the transport layer, as the engine and the CLI use it.

export { SshTransport, type SshTransportOptions } from './ssh-transport.js';
export { createTransportPool, type SshTransportPool, type TransportPoolOptions } from './pool.js';
export { resolveSshTarget, SSH_DEFAULTS, type ResolveOptions, type SshTarget } from './resolve-target.js';
export type { HostKeyChecking } from './host-key-check.js';
export type { PassphrasePrompt } from './passphrase-prompt.js';
