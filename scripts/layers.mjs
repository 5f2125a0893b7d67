// The layering of src/, bottom to top: a folder may import from its own folder and from
// folders on LOWER lines only. Folders on one line are peers and do not import each other.
// Read by eslint.config.js (the import-x/no-restricted-paths zones that fail `npm run lint`
// on an upward import) and by scripts/import-layers.mjs (the arrow count). ARCHITECTURE.md
// says what each layer owns.
export const LAYERS = [
  ['shell'], //                 command values (quoting and process helpers live in packages/system, @drbook/system)
  ['core'], //                  the shared vocabulary: action contract, Transport, states, events, records, errors
  ['input'], //                 YAML with places, zod issues, durations, did-you-mean: both loaders' shape
  ['transport', 'journal'], //  reaching hosts; the run's state on the operator's disk
  ['etcd'], //                  etcd and kubeadm facts read through a Transport
  ['actions', 'inventory'], //  what a step does; hosts and how to reach them
  ['runbook'], //               the runbook format, handed the actions (an ActionCatalog)
  ['hostlock'], //              per-host locks and in-flight markers
  ['engine'], //                compile, plan, apply, journal, roll back
  ['rehearsal'], //             rehearse and demo on a sandbox (@drbook/sandbox, a workspace package)
  ['cli'], //                   commands and renderers
];
