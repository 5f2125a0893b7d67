// zod fields shared by the etcd actions beyond those of src/etcd/duration.ts.

import { z } from 'zod';

/**
 * An optional text that a template may render empty: empty (or blank) means "not
 * given", so a runbook can pass `"{{ params.etcdName }}"` whose default is "" and let
 * the action read the value from the host's etcd manifest instead.
 */
export const optionalText = () => z.string().optional().transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
